"""Print-ready plaques in exact mm: PDF, SVG and a raster proof, with artwork, QR code and names."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from hue_errors import InvalidInput
from markers.images import LoadedImage
from markers.qr import QUIET_ZONE, QrCode

PaperSize = Literal["A5", "A4", "A3"]
PAPER_MM: dict[str, tuple[float, float]] = {"A5": (148.0, 210.0), "A4": (210.0, 297.0), "A3": (297.0, 420.0)}
FONT_DIR = Path(__file__).parent / "fonts"
FONT_REGULAR = "NotoSans-Regular"
FONT_BOLD = "NotoSans-Bold"
# The distance printed on the plaque, as a multiple of the QR symbol's width. The photograph check
# (markers.photo_check, default grid, sample marker) decodes the QR in 100 % of shots at 7× and 8× on A5,
# A4 and A3, and in 94 % at 10×; 7× keeps a margin for phones that read worse than OpenCV in sunlight.
SCAN_DISTANCE_PER_WIDTH = 7.0


@dataclass(frozen=True)
class PlaqueSpec:
    name_vi: str
    name_en: str
    code: str
    domain: str
    qr: QrCode
    marker: LoadedImage
    attribution: str = ""
    size: PaperSize = "A4"


@dataclass(frozen=True)
class Box:
    x: float  # mm from the left edge
    y: float  # mm from the top edge
    w: float
    h: float


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float  # mm, left of the text
    baseline: float  # mm from the top edge
    size_pt: float
    bold: bool


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    marker: Box  # the fitted artwork, aspect kept
    qr: Box  # the whole symbol including its quiet zone
    texts: tuple[TextLine, ...]
    qr_width_mm: float  # symbol without the quiet zone
    scan_distance_m: float


@dataclass(frozen=True)
class Plaque:
    pdf: bytes
    svg: bytes
    size: PaperSize
    qr_width_mm: float
    scan_distance_m: float
    layout: Layout


def layout_plaque(spec: PlaqueSpec) -> Layout:
    """Names on top, the artwork alone in the middle, the QR below it, never overlapping, so
    the QR's high-contrast modules do not become the marker's features."""
    if spec.size not in PAPER_MM:
        raise InvalidInput(f"plaque: size {spec.size!r} is not one of {', '.join(PAPER_MM)}")
    if problem := text_problem(spec.name_vi, spec.name_en, spec.attribution):
        raise InvalidInput(f"plaque: {problem}")
    width, height = PAPER_MM[spec.size]
    unit = width / 210.0  # everything scales with the paper
    margin = 12.0 * unit
    title_pt, subtitle_pt, small_pt = 26.0 * unit, 16.0 * unit, 9.0 * unit
    pt_mm = 25.4 / 72.0
    qr_total = 0.40 * width
    qr_box = Box(margin, height - margin - qr_total, qr_total, qr_total)
    module_mm = qr_total / (spec.qr.modules + 2 * QUIET_ZONE)
    qr_width = module_mm * spec.qr.modules
    top = margin + title_pt * pt_mm + subtitle_pt * pt_mm * 1.4 + 5.0 * unit  # clear of the descenders
    bottom = qr_box.y - 6.0 * unit
    marker_box = _fit(
        spec.marker.rgb.shape[1], spec.marker.rgb.shape[0], Box(margin, top, width - 2 * margin, bottom - top)
    )
    text_x = qr_box.x + qr_box.w + 4.0 * unit
    first = qr_box.y + module_mm * QUIET_ZONE + 10.0 * unit
    scan = SCAN_DISTANCE_PER_WIDTH * qr_width / 1000.0
    # (text, left, baseline, size, bold): each is then kept inside the right margin.
    lines = [
        (spec.name_vi, margin, margin + title_pt * pt_mm, title_pt, True),
        (spec.name_en, margin, margin + title_pt * pt_mm + subtitle_pt * pt_mm * 1.4, subtitle_pt, False),
        (spec.code, text_x, first, 22.0 * unit, True),
        (f"{spec.domain}/q/{spec.code}", text_x, first + 7.0 * unit, small_pt + 1, False),
        (
            f"Quét mã từ xa tới {scan:.1f} m · Scan from up to {scan:.1f} m",
            text_x,
            first + 13.0 * unit,
            small_pt,
            False,
        ),
        ("Nếu mã QR khác mã này, đừng quét.", text_x, first + 19.0 * unit, small_pt, False),
        ("If the QR code does not lead here, do not scan it.", text_x, first + 24.0 * unit, small_pt, False),
    ]
    if spec.attribution:
        lines.append((spec.attribution, text_x, height - margin, small_pt * 0.85, False))
    texts = tuple(
        TextLine(text, x, baseline, _fitted(text, bold, size_pt, width - margin - x), bold)
        for text, x, baseline, size_pt, bold in lines
    )
    return Layout(width, height, marker_box, qr_box, texts, round(qr_width, 2), round(scan, 2))


def text_problem(name_vi: str, name_en: str, attribution: str = "") -> str | None:
    """Why a plaque cannot print these texts, or None: a character its font has no glyph for
    (Hán-Nôm, say: the vendored Noto Sans covers Latin with Vietnamese, Greek and Cyrillic) would
    come out of the printer as an empty box."""
    _register_fonts()
    for label, text, font in (
        ("Vietnamese name", name_vi, FONT_BOLD),
        ("English name", name_en, FONT_REGULAR),
        ("attribution", attribution, FONT_REGULAR),
    ):
        glyphs = pdfmetrics.getFont(font).face.charToGlyph
        if missing := list(dict.fromkeys(c for c in text if ord(c) not in glyphs)):
            return (
                f"the {label} {text!r} has characters its font (Noto Sans) has no glyph for: "
                f"{' '.join(missing)}; give it in Latin letters (quốc ngữ for Vietnamese)"
            )
    return None


def _fitted(text: str, bold: bool, size_pt: float, room_mm: float) -> float:
    """``size_pt``, or the smaller size at which ``text`` is ``room_mm`` wide (a long site name
    is set smaller rather than run off the plaque)."""
    _register_fonts()
    natural_mm = pdfmetrics.stringWidth(text, FONT_BOLD if bold else FONT_REGULAR, size_pt) * 25.4 / 72.0
    return size_pt if natural_mm <= room_mm else size_pt * room_mm / natural_mm


def _fit(src_w: int, src_h: int, area: Box) -> Box:
    scale = min(area.w / src_w, area.h / src_h)
    w, h = src_w * scale, src_h * scale
    return Box(area.x + (area.w - w) / 2, area.y + (area.h - h) / 2, w, h)


def render_plaque(spec: PlaqueSpec) -> Plaque:
    layout = layout_plaque(spec)
    return Plaque(
        pdf=_pdf(spec, layout),
        svg=_svg(spec, layout),
        size=spec.size,
        qr_width_mm=layout.qr_width_mm,
        scan_distance_m=layout.scan_distance_m,
        layout=layout,
    )


def _register_fonts() -> None:
    for name in (FONT_REGULAR, FONT_BOLD):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))


def _png_bytes(rgb: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf(spec: PlaqueSpec, layout: Layout) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(layout.width * mm, layout.height * mm), invariant=True)
    page.setTitle(f"{spec.name_vi} — {spec.name_en}")
    flip = layout.height  # PDF y grows upwards (ISO 32000-1 §8.3.2.3)
    m = layout.marker
    page.drawImage(
        ImageReader(io.BytesIO(_png_bytes(spec.marker.rgb))),
        m.x * mm,
        (flip - m.y - m.h) * mm,
        m.w * mm,
        m.h * mm,
    )
    module = layout.qr.w / (spec.qr.modules + 2 * QUIET_ZONE)
    page.setFillColorRGB(0, 0, 0)
    for row, line in enumerate(spec.qr.matrix):
        for col, dark in enumerate(line):
            if dark:
                x = layout.qr.x + (col + QUIET_ZONE) * module
                y = layout.qr.y + (row + QUIET_ZONE) * module
                # A hair of overlap hides the seams some PDF rasterisers leave between adjacent modules.
                page.rect(
                    x * mm, (flip - y - module) * mm, module * mm + 0.05, module * mm + 0.05, stroke=0, fill=1
                )
    for text in layout.texts:
        page.setFont(FONT_BOLD if text.bold else FONT_REGULAR, text.size_pt)
        page.drawString(text.x * mm, (flip - text.baseline) * mm, text.text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _svg(spec: PlaqueSpec, layout: Layout) -> bytes:
    # Written directly: a handful of elements, and the text must stay text (searchable, font named).
    href = "data:image/png;base64," + base64.b64encode(_png_bytes(spec.marker.rgb)).decode("ascii")
    m = layout.marker
    module = layout.qr.w / (spec.qr.modules + 2 * QUIET_ZONE)
    path = "".join(
        f"M{layout.qr.x + (c + QUIET_ZONE) * module:.3f} {layout.qr.y + (r + QUIET_ZONE) * module:.3f}"
        f"h{module:.3f}v{module:.3f}h{-module:.3f}z"
        for r, line in enumerate(spec.qr.matrix)
        for c, dark in enumerate(line)
        if dark
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width}mm" height="{layout.height}mm" '
        f'viewBox="0 0 {layout.width} {layout.height}">',
        f'<rect width="{layout.width}" height="{layout.height}" fill="#fff"/>',
        f'<image x="{m.x:.3f}" y="{m.y:.3f}" width="{m.w:.3f}" height="{m.h:.3f}" href="{href}"/>',
        f'<path fill="#000" shape-rendering="crispEdges" d="{path}"/>',
    ]
    for text in layout.texts:
        weight = "bold" if text.bold else "normal"
        size = text.size_pt * 25.4 / 72.0
        parts.append(
            f'<text x="{text.x:.3f}" y="{text.baseline:.3f}" font-family="Noto Sans" font-weight="{weight}" '
            f'font-size="{size:.3f}">{escape(text.text)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts).encode("utf-8")


def rasterize(spec: PlaqueSpec, layout: Layout, px_per_mm: float) -> Image.Image:
    """The plaque as a print would look, for the photograph check."""
    size = (round(layout.width * px_per_mm), round(layout.height * px_per_mm))
    page = Image.new("RGB", size, "white")
    m = layout.marker
    art = Image.fromarray(spec.marker.rgb).resize(
        (round(m.w * px_per_mm), round(m.h * px_per_mm)), Image.Resampling.LANCZOS
    )
    page.paste(art, (round(m.x * px_per_mm), round(m.y * px_per_mm)))
    side = spec.qr.modules + 2 * QUIET_ZONE
    dark = np.zeros((side, side), dtype=bool)
    dark[QUIET_ZONE:-QUIET_ZONE, QUIET_ZONE:-QUIET_ZONE] = np.array(spec.qr.matrix, dtype=bool)
    qr_px = round(layout.qr.w * px_per_mm)
    qr_image = Image.fromarray(np.where(dark, 0, 255).astype(np.uint8)).resize(
        (qr_px, qr_px), Image.Resampling.NEAREST
    )
    page.paste(qr_image.convert("RGB"), (round(layout.qr.x * px_per_mm), round(layout.qr.y * px_per_mm)))
    draw = ImageDraw.Draw(page)
    for text in layout.texts:
        font = ImageFont.truetype(
            str(FONT_DIR / f"{FONT_BOLD if text.bold else FONT_REGULAR}.ttf"),
            text.size_pt * 25.4 / 72 * px_per_mm,  # a float size: rounding it widened long lines by 2 %
        )
        draw.text(
            (text.x * px_per_mm, text.baseline * px_per_mm), text.text, fill="black", font=font, anchor="ls"
        )
    return page

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import replace

import cv2
import numpy as np
import pytest

from hue_errors import InvalidInput
from markers.images import LoadedImage
from markers.plaque import PAPER_MM, PaperSize, PlaqueSpec, rasterize, render_plaque
from markers.qr import decode_qr, make_qr, qr_url

CODE = "K7MQ3T"


def _spec(marker: LoadedImage, size: PaperSize) -> PlaqueSpec:
    qr = make_qr(qr_url("https://hue.example", CODE))
    return PlaqueSpec(
        "Ngọ Môn — Hoàng thành Huế", "Meridian Gate", CODE, "hue.example", qr, marker, "Ảnh: NASA", size
    )


@pytest.mark.parametrize("size", ["A5", "A4", "A3"])
def test_pdf_page_is_exact_millimetres(astronaut: LoadedImage, size: PaperSize) -> None:
    plaque = render_plaque(_spec(astronaut, size))
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", plaque.pdf)
    assert box is not None
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in box.groups())
    assert width_mm == pytest.approx(PAPER_MM[size][0], abs=0.01)
    assert height_mm == pytest.approx(PAPER_MM[size][1], abs=0.01)
    # The vendored font is embedded (a subset), so Vietnamese prints without the printer's fonts.
    assert b"NotoSans-Bold" in plaque.pdf and b"/FontFile2" in plaque.pdf
    assert plaque.scan_distance_m == pytest.approx(7 * plaque.qr_width_mm / 1000, abs=0.01)


def test_svg_keeps_text_and_mm_size(astronaut: LoadedImage) -> None:
    plaque = render_plaque(_spec(astronaut, "A4"))
    root = ET.fromstring(plaque.svg)  # noqa: S314 (our own output, not untrusted input)
    assert root.get("width") == "210.0mm" and root.get("height") == "297.0mm"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Ngọ Môn — Hoàng thành Huế" in texts
    assert CODE in texts and f"hue.example/q/{CODE}" in texts
    assert any(t == "Ảnh: NASA" for t in texts)


def test_qr_sits_outside_the_marker_artwork(astronaut: LoadedImage) -> None:
    layout = render_plaque(_spec(astronaut, "A5")).layout
    m, q = layout.marker, layout.qr
    assert q.y >= m.y + m.h or q.x >= m.x + m.w
    assert m.x >= 0 and m.x + m.w <= layout.width and q.y + q.h <= layout.height


def test_raster_proof_decodes(astronaut: LoadedImage) -> None:
    spec = _spec(astronaut, "A5")
    page = np.asarray(rasterize(spec, render_plaque(spec).layout, 3.0), dtype=np.uint8)
    assert decode_qr(np.asarray(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY), dtype=np.uint8)) == spec.qr.payload


LONG_NAME = "Lăng Khải Định (Ứng Lăng) — Quần thể di tích Cố đô Huế, Di sản Thế giới"


@pytest.mark.parametrize("size", ["A5", "A4", "A3"])
def test_a_long_name_is_set_smaller_and_stays_inside_the_margin(
    astronaut: LoadedImage, size: PaperSize
) -> None:
    short = render_plaque(_spec(astronaut, size)).layout
    spec = replace(_spec(astronaut, size), name_vi=LONG_NAME, attribution="Ảnh: " + "NASA, " * 30)
    layout = render_plaque(spec).layout
    title, attribution = layout.texts[0], layout.texts[-1]
    assert title.text == LONG_NAME and title.size_pt < short.texts[0].size_pt
    assert attribution.size_pt < short.texts[-1].size_pt
    assert layout.texts[1].size_pt == short.texts[1].size_pt  # the English name still fits
    # The proof, printed at 4 px/mm: nothing dark right of the margin above the artwork or
    # beside the QR code, where the title and the attribution run.
    px = 4.0
    page = np.asarray(rasterize(spec, layout, px).convert("L"))
    right = int(np.ceil((layout.width - 12.0 * layout.width / 210.0) * px)) + 2  # margin, antialiasing
    assert (page[: int(layout.marker.y * px), right:] > 128).all()
    assert (page[int(layout.qr.y * px) :, right:] > 128).all()


def test_a_name_the_font_cannot_print_is_refused_naming_its_characters(astronaut: LoadedImage) -> None:
    spec = replace(_spec(astronaut, "A4"), name_vi="Ngọ Môn (午門)")
    with pytest.raises(InvalidInput, match=r"Vietnamese name 'Ngọ Môn \(午門\)' has characters .*: 午 門;"):
        render_plaque(spec)


def test_vietnamese_in_composed_and_decomposed_form_prints(astronaut: LoadedImage) -> None:
    for name in ("Hoàng thành Huế", unicodedata.normalize("NFD", "Hoàng thành Huế")):
        plaque = render_plaque(replace(_spec(astronaut, "A4"), name_vi=name))
        assert plaque.layout.texts[0].text == name

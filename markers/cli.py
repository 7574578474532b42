"""The ``hue-ar markers`` command group: score, candidates, compile and plaque."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import get_args

import click
import numpy as np
import numpy.typing as npt
from PIL import Image

from hue_cli import errors_as_exit_codes, verbose_option
from hue_errors import HueARError, InvalidInput
from markers.candidates import CandidateOptions, photos_in, rank_candidates
from markers.cli_mind import compile_command
from markers.images import load_image
from markers.output import make_output_folder, write_output
from markers.photo_check import check_plaque
from markers.plaque import PaperSize, PlaqueSpec, render_plaque
from markers.qr import QrOptions, make_qr, qr_url, validate_short_code
from markers.score import score_image


def _warn(error: HueARError) -> None:
    click.echo(f"warning: {error.message}; skipped", err=True)


def _png(rgb: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


@click.group("markers")
@verbose_option
def markers_group() -> None:
    """Image targets, QR codes and print-ready plaques."""


@markers_group.command("score")
@click.argument("images", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image.")
def score_command(images: tuple[Path, ...], as_json: bool) -> None:
    """Trackability score (0–5) and advice for each IMAGE."""
    with errors_as_exit_codes():
        if not images:
            raise InvalidInput("score: no images given")
        for path in images:
            report = score_image(load_image(path).gray)
            if as_json:
                click.echo(json.dumps({"image": str(path), **asdict(report)}, ensure_ascii=False))
                continue
            click.echo(
                f"{path}: {report.score:.1f}/5  features={report.features} coverage={report.coverage:.2f}"
            )
            for line in report.advice:
                click.echo(f"  - {line}")


@markers_group.command("candidates")
@click.argument("photo_dir", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Folder to write the cropped candidates to."
)
@click.option("--top", default=5, show_default=True)
def candidates_command(photo_dir: Path, output: Path | None, top: int) -> None:
    """Rank the photos in PHOTO_DIR as markers and crop the best."""
    with errors_as_exit_codes():
        ranked = rank_candidates(photos_in(photo_dir), CandidateOptions(top=top), skip=_warn)
        if output is not None:
            make_output_folder(output)
        for rank, candidate in enumerate(ranked, 1):
            left, top_px, width, height = candidate.box
            where = f"[{left},{top_px} {width}×{height}]"
            click.echo(f"{rank}. {candidate.path.name} {where} {candidate.report.score:.1f}/5")
            if output is not None:
                crop = load_image(candidate.path).rgb[top_px : top_px + height, left : left + width]
                write_output(output / f"{rank:02d}-{candidate.path.stem}.png", _png(crop))


@markers_group.command("plaque")
@click.option("--name-vi", required=True)
@click.option("--name-en", required=True)
@click.option("--code", required=True, help="Short code with its check character.")
@click.option("--marker", "marker_path", required=True, type=click.Path(path_type=Path))
@click.option("--base-url", default="https://hue.example", show_default=True)
@click.option("--attribution", default="")
@click.option("--size", type=click.Choice(get_args(PaperSize)), default="A4", show_default=True)
@click.option("--check/--no-check", default=False, help="Run the print-and-photograph check too.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="plaque.pdf (an .svg is written beside it).",
)
def plaque_command(
    name_vi: str,
    name_en: str,
    code: str,
    marker_path: Path,
    base_url: str,
    attribution: str,
    size: PaperSize,
    check: bool,
    output: Path,
) -> None:
    """Render a print-ready plaque (PDF and SVG)."""
    with errors_as_exit_codes():
        normal = validate_short_code(code)
        qr = make_qr(qr_url(base_url, normal), QrOptions())
        domain = base_url.split("://", 1)[-1].rstrip("/")
        spec = PlaqueSpec(name_vi, name_en, normal, domain, qr, load_image(marker_path), attribution, size)
        plaque = render_plaque(spec)
        write_output(output, plaque.pdf)
        write_output(output.with_suffix(".svg"), plaque.svg)
        click.echo(
            f"{output}: {size}, QR {plaque.qr_width_mm:.1f} mm, scan from ≤ {plaque.scan_distance_m:.2f} m"
        )
        if check:
            report = check_plaque(spec)
            rates = f"QR {report.qr_rate:.0%}, marker {report.marker_rate:.0%}"
            click.echo(f"photo check: {rates}, passed={report.passed}")
            if not report.passed:
                raise SystemExit(1)


markers_group.add_command(compile_command)

"""`hue-ar pipeline …`: inspect an upload or run a recipe on it, with per-stage progress."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, get_args

import click

from hue_cli import errors_as_exit_codes, verbose_option
from pipeline.glb_write import GeometryCodec
from pipeline.inspect import InspectReport, inspect_source
from pipeline.orient import Dimension, UpAxis
from pipeline.provenance import Provenance
from pipeline.recipe import recipe_names
from pipeline.run import RunOptions, RunResult, run_pipeline

BAR_WIDTH = 30


@click.group("pipeline")
def pipeline_group() -> None:
    """Photogrammetry scan → compressed glTF levels of detail."""


@pipeline_group.command("inspect")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@verbose_option
def inspect_command(source: Path, as_json: bool) -> None:
    """Report triangles, materials, textures, bounds and defects of SOURCE (file, folder or zip)."""
    with errors_as_exit_codes():
        report = inspect_source(source)
    if as_json:
        click.echo(json.dumps(asdict(report), indent=2))
    else:
        click.echo(format_inspect(report))


def format_inspect(report: InspectReport) -> str:
    rows = [
        ("source", report.source),
        ("triangles", f"{report.triangles:,}"),
        ("vertices", f"{report.vertices:,}"),
        ("primitives / materials", f"{report.primitives} / {report.materials}"),
        *[(f"texture {t.name}", f"{t.width}×{t.height} ({t.material})") for t in report.textures],
        ("bounds min", " ".join(f"{v:.4g}" for v in report.bounds_min)),
        ("bounds max", " ".join(f"{v:.4g}" for v in report.bounds_max)),
        ("diagonal", f"{report.diagonal:.4g}"),
        ("degenerate / duplicate faces", f"{report.degenerate_faces} / {report.duplicate_faces}"),
        ("components", str(report.components)),
        ("UV islands", str(report.uv_islands)),
        (
            "normals / UVs / vertex colours",
            " / ".join(
                "yes" if f else "no" for f in (report.has_normals, report.has_uvs, report.has_vertex_colors)
            ),
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint=option)
        pairs[key] = rest
    return pairs


@pipeline_group.command("run")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for <level>.glb files and manifest.json.",
)
@click.option(
    "--recipe",
    default="web",
    show_default=True,
    help=f"A bundled recipe ({', '.join(recipe_names())}) or a recipe .json file.",
)
@click.option(
    "--up",
    type=click.Choice([a.upper() for a in get_args(UpAxis)], case_sensitive=False),
    default="AUTO",
    show_default=True,
    help="The source's up axis; AUTO finds the ground.",
)
@click.option("--scale", type=float, help="Metres per source unit.")
@click.option("--known", help="One real dimension after orienting, e.g. height=2.4 (metres).")
@click.option("--geometry", type=click.Choice(get_args(GeometryCodec)), help="Override the recipe's codec.")
@click.option("--title")
@click.option("--creator", multiple=True)
@click.option("--licence", help="SPDX identifier, e.g. CC-BY-SA-4.0.")
@click.option("--attribution")
@click.option("--source-url", help="Where the original scan comes from.")
@click.option("--capture", multiple=True, help="Capture paradata KEY=VALUE (camera, photos, software…).")
@verbose_option
def run_command(
    source: Path,
    out_dir: Path,
    recipe: str,
    up: str,
    scale: float | None,
    known: str | None,
    geometry: str | None,
    title: str | None,
    creator: tuple[str, ...],
    licence: str | None,
    attribution: str | None,
    source_url: str | None,
    capture: tuple[str, ...],
) -> None:
    """Run RECIPE on SOURCE and write the levels of detail to --out."""
    known_dimension = None
    if known:
        name, metres = next(iter(_pairs((known,), "--known").items()))
        if name not in get_args(Dimension):
            raise click.BadParameter(f"dimension must be one of {get_args(Dimension)}", param_hint="--known")
        try:
            known_dimension = (name, float(metres))
        except ValueError:
            raise click.BadParameter(f"{metres!r} is not a number of metres", param_hint="--known") from None
    with errors_as_exit_codes():
        options = RunOptions(
            up=up.lower(),  # type: ignore[arg-type]  # click.Choice guarantees a valid UpAxis
            scale_factor=scale,
            known_dimension=known_dimension,  # type: ignore[arg-type]
            geometry=geometry,  # type: ignore[arg-type]
            provenance=Provenance(
                title=title,
                creator=creator,
                licence=licence,
                attribution=attribution,
                source=source_url,
                capture=_pairs(capture, "--capture"),
            ),
        )
        result = run_pipeline(source, out_dir, recipe=recipe, options=options, progress=_progress_printer())
    click.echo(format_summary(result))


def _progress_printer() -> Callable[[str, float], None]:
    def show(stage: str, fraction: float) -> None:
        filled = round(fraction * BAR_WIDTH)
        click.echo(
            f"{stage:<14} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction * 100:3.0f}%", err=True
        )

    return show


def format_summary(result: RunResult) -> str:
    header = ("level", "triangles", "size", "error", "% diag", "texture", "GPU")
    rows: list[tuple[Any, ...]] = [header]
    for level in result.levels:
        rows.append(
            (
                level.name,
                f"{level.triangles:,}",
                f"{level.bytes / 1e6:.2f} MB",
                f"{level.error_m * 1000:.2f} mm",
                f"{level.error_pct_diag:.3f}",
                f"{level.texture_px} px",
                f"{level.gpu_bytes / 1e6:.1f} MB",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    if result.poster is not None:
        lines.append(f"poster: {result.poster}")
    lines.append(f"manifest: {result.manifest}")
    return "\n".join(lines)

"""`markers compile`: image files → one MindAR `.mind` image-target file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from hue_cli import errors_as_exit_codes
from markers.mind.compile import CompileOptions, build_targets
from markers.mind.mindfile import write_mind
from markers.output import write_output


@click.command("compile")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .mind file to write.",
)
@click.option(
    "--max-short-side",
    "max_short_side_px",
    default=CompileOptions.max_short_side_px,
    show_default=True,
    help="Downscale inputs so their short side is at most this many pixels (128–2048).",
)
def compile_command(images: tuple[Path, ...], output: Path, max_short_side_px: int) -> None:
    """Compile IMAGES (target index = argument order) into a MindAR 1.2.5 `.mind` file."""
    start = time.perf_counter()
    with errors_as_exit_codes():
        mind = build_targets(list(images), options=CompileOptions(max_short_side_px=max_short_side_px))
        data = write_mind(mind)
        write_output(output, data)
    for index, (path, target) in enumerate(zip(images, mind.targets, strict=True)):
        points = sum(len(frame.maxima) + len(frame.minima) for frame in target.matching)
        click.echo(
            f"target {index}: {path} → {target.width}×{target.height}, "
            f"{len(target.matching)} keyframes, {points} keypoints"
        )
    click.echo(f"{output}: {len(data)} bytes in {time.perf_counter() - start:.2f} s")

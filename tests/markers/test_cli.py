from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from markers.cli import markers_group
from tests.browser.artwork import textured_artwork


def test_score_prints_json_per_image(tmp_path: Path, astronaut_png: bytes) -> None:
    image = tmp_path / "astronaut.png"
    image.write_bytes(astronaut_png)
    result = CliRunner().invoke(markers_group, ["score", "--json", str(image)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["image"] == str(image) and 0 <= report["score"] <= 5


def test_score_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    result = CliRunner().invoke(markers_group, ["score", str(bad)])
    assert result.exit_code == 2
    assert "bad.jpg" in result.output
    empty = CliRunner().invoke(markers_group, ["score"])
    assert empty.exit_code == 2 and "no images given" in empty.output


def test_plaque_writes_pdf_and_svg(tmp_path: Path, astronaut_png: bytes) -> None:
    marker = tmp_path / "art.png"
    marker.write_bytes(astronaut_png)
    out = tmp_path / "plaque.pdf"
    args = ["plaque", "--name-vi", "Ngọ Môn", "--name-en", "Meridian Gate", "--code", "k7mq3t"]
    result = CliRunner().invoke(
        markers_group, [*args, "--marker", str(marker), "--size", "A5", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and out.with_suffix(".svg").exists()
    assert "scan from" in result.output
    typo = CliRunner().invoke(markers_group, [*args[:-1], "K7MQ3A", "--marker", str(marker), "-o", str(out)])
    assert typo.exit_code == 2 and "check character" in typo.output


def _one_error_line(result: Result) -> str:
    """The CLI's only output for a failure: one ``error:`` line, never a traceback."""
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cut.jpg", lambda png: _encode(png, "JPEG")[:200]),
        ("cut.webp", lambda png: _encode(png, "WEBP")[:40]),
        ("bad.ppm", lambda png: b"P6\n6\xc8 64\n255\n" + bytes(100)),
    ],
)
def test_score_of_a_broken_image_is_one_line_exit_2(
    tmp_path: Path, astronaut_png: bytes, name: str, data: Callable[[bytes], bytes]
) -> None:
    image = tmp_path / name
    image.write_bytes(data(astronaut_png))
    result = CliRunner().invoke(markers_group, ["score", str(image)])
    assert result.exit_code == 2
    assert f"{name}: corrupt or truncated image data" in _one_error_line(result)


def test_score_of_an_extreme_strip_gives_advice(tmp_path: Path) -> None:
    strip = tmp_path / "strip.png"
    Image.fromarray(np.random.default_rng(5).integers(0, 255, (8000, 16), dtype=np.uint8)).save(strip)
    result = CliRunner().invoke(markers_group, ["score", str(strip)])
    assert result.exit_code == 0, result.output
    assert "aspect 500.0:1 is elongated" in result.output


def test_compile_writes_a_small_odd_sized_target(tmp_path: Path) -> None:
    image = tmp_path / "art.png"
    textured_artwork(15, (128, 200)).save(image)
    out = tmp_path / "art.mind"
    result = CliRunner().invoke(markers_group, ["compile", str(image), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "128×200" in result.output and out.stat().st_size > 0


def test_compile_of_a_plain_image_is_one_line_exit_2(tmp_path: Path) -> None:
    image = tmp_path / "black.png"
    Image.new("L", (300, 300), 0).save(image)
    out = tmp_path / "black.mind"
    result = CliRunner().invoke(markers_group, ["compile", str(image), "-o", str(out)])
    assert result.exit_code == 2
    assert "black.png: too few keypoints to be detected" in _one_error_line(result)
    assert not out.exists()


def test_compile_into_a_missing_folder_is_one_line_exit_4(tmp_path: Path) -> None:
    image = tmp_path / "art.png"
    textured_artwork(16, (160, 160)).save(image)
    out = tmp_path / "absent" / "art.mind"
    result = CliRunner().invoke(markers_group, ["compile", str(image), "-o", str(out)])
    assert result.exit_code == 4
    assert f"{out}: cannot write (No such file or directory" in _one_error_line(result)


def test_candidates_into_a_file_is_one_line_exit_4(tmp_path: Path, astronaut_png: bytes) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "astronaut.png").write_bytes(astronaut_png)
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    result = CliRunner().invoke(markers_group, ["candidates", str(photos), "-o", str(taken)])
    assert result.exit_code == 4
    assert f"{taken}: cannot create the folder (File exists" in _one_error_line(result)


def test_candidates_skip_an_unreadable_photo_with_a_warning(tmp_path: Path, astronaut_png: bytes) -> None:
    (tmp_path / "astronaut.png").write_bytes(astronaut_png)
    (tmp_path / "cut.jpg").write_bytes(_encode(astronaut_png, "JPEG")[:200])
    result = CliRunner().invoke(markers_group, ["candidates", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: image: cut.jpg: corrupt or truncated image data (Truncated File Read); skipped"
    ]
    assert result.stdout.startswith("1. astronaut.png") and (tmp_path / "out" / "01-astronaut.png").exists()


def test_plaque_into_a_missing_folder_is_one_line_exit_4(tmp_path: Path, astronaut_png: bytes) -> None:
    marker = tmp_path / "art.png"
    marker.write_bytes(astronaut_png)
    out = tmp_path / "absent" / "plaque.pdf"
    args = ["plaque", "--name-vi", "Ngọ Môn", "--name-en", "Meridian Gate", "--code", "k7mq3t"]
    result = CliRunner().invoke(markers_group, [*args, "--marker", str(marker), "-o", str(out)])
    assert result.exit_code == 4
    assert f"{out}: cannot write" in _one_error_line(result)


def _encode(png: bytes, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()

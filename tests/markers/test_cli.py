from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from markers.cli import markers_group


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

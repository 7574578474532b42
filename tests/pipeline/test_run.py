"""run_pipeline end to end, its manifest and provenance, determinism, recipes and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from scipy.spatial import cKDTree

from hue_errors import InvalidInput, StorageError
from pipeline import Provenance, RunOptions, inspect_source, load_recipe, run_pipeline, textures
from pipeline.bundle import Bundle
from pipeline.clean import CleanOptions, clean
from pipeline.cli import pipeline_group
from pipeline.gltf_read import split_glb
from pipeline.ingest import load_model
from pipeline.model import Texture
from pipeline.orient import OrientOptions, orient
from pipeline.recipe import parse_recipe
from tests.pipeline.conftest import Validator, error_messages

PROVENANCE = Provenance(
    title="Fuze bottle",
    creator=("Michael Dawson-Haggerty",),
    licence="MIT",
    attribution="trimesh sample model",
    source="https://github.com/mikedh/trimesh",
    capture={"method": "synthetic", "photos": 0},
)


def xmp_of(path: Path) -> dict[str, Any]:
    document, _ = split_glb(path.read_bytes(), path.name)
    assert document["asset"]["extensions"]["KHR_xmp_json_ld"] == {"packet": 0}
    packet: dict[str, Any] = document["extensions"]["KHR_xmp_json_ld"]["packets"][0]
    return packet


def test_preview_recipe_writes_a_valid_ar_level_with_provenance(
    fuze: Path, tmp_path: Path, validate: Validator
) -> None:
    seen: list[tuple[str, float]] = []
    result = run_pipeline(
        fuze,
        tmp_path / "out",
        recipe="preview",
        options=RunOptions(up="z", known_dimension=("height", 0.25), provenance=PROVENANCE),
        progress=lambda stage, fraction: seen.append((stage, fraction)),
    )
    [level] = result.levels
    assert result.poster is None  # the preview recipe renders none
    assert level.path == tmp_path / "out" / "ar.glb" and level.bytes == level.path.stat().st_size
    assert error_messages(validate(level.path)) == []
    reopened = inspect_source(level.path)
    assert reopened.triangles == level.triangles == 1000
    assert reopened.bounds_max[1] - reopened.bounds_min[1] == pytest.approx(0.25, abs=1e-4)  # metres
    packet = xmp_of(level.path)
    assert packet["dc:title"]["rdf:_1"]["@value"] == "Fuze bottle"
    assert packet["dc:creator"] == {"@list": ["Michael Dawson-Haggerty"]}
    assert packet["dc:rights"]["rdf:_1"]["@value"] == "MIT"
    assert packet["paradata:scale"] == "measured" and packet["paradata:geometry"] == "reconstructed"
    assert packet["paradata:capture"] == {"paradata:method": "synthetic", "paradata:photos": 0}
    assert any(step.startswith("stage=decimate") for step in packet["paradata:processing"]["@list"])
    assert "meshoptimizer" in packet["xmp:CreatorTool"]
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and seen[0][0] == "ingest"


def test_manifest_records_inputs_settings_and_levels(fuze: Path, tmp_path: Path) -> None:
    result = run_pipeline(fuze, tmp_path / "out", recipe="preview")
    manifest = json.loads(result.manifest.read_text())
    assert set(manifest["inputs"]) == {"fuze.obj", "fuze.obj.mtl", "fuze uv.jpg"}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["inputs"].values())
    assert manifest["recipe"]["name"] == "preview"
    [level] = manifest["levels"]
    assert level["path"] == "ar.glb" and level["bytes"] == result.levels[0].bytes
    assert level["gpu_bytes"] > 1024 * 1024 * 4  # the 1024² texture alone is 4 MiB in RGBA8
    assert {"ingest", "clean", "orient", "level:ar", "total"} <= set(manifest["timings_s"])
    assert [s["stage"] for s in manifest["steps"]] == ["ingest", "clean", "orient"]
    assert [s["stage"] for s in level["steps"]] == ["decimate", "encode"]
    assert level["steps"][0]["target_triangles"] == 20000


def test_the_runs_inspect_report_is_the_standalone_one(fuze: Path, tmp_path: Path) -> None:
    # The run counts it on its second thread, from the faces it surveyed for the clean stage.
    assert run_pipeline(fuze, tmp_path / "out", recipe="preview").inspect == inspect_source(fuze)


def test_a_failing_level_ends_the_run_and_its_second_thread(
    bali_mask: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise InvalidInput("decimate: refused for the test")

    made: list[int] = []
    fit = textures._fit

    def counted(texture: Texture, max_px: int) -> Texture:
        made.append(max_px)
        return fit(texture, max_px)

    monkeypatch.setattr("pipeline.run._simplify", refuse)
    monkeypatch.setattr(textures, "_fit", counted)
    with pytest.raises(InvalidInput, match="refused for the test"):
        run_pipeline(bali_mask, tmp_path / "out", recipe="web")
    # Textures for 4 sizes were queued behind the report and the planes: dropped, not made.
    assert len(made) <= 1
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("pipeline")]
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize("target", [20_000, 300])  # kept whole; simplified, fitted (and re-baked)
def test_same_input_and_settings_give_byte_identical_outputs(fuze: Path, tmp_path: Path, target: int) -> None:
    recipe = tmp_path / "small.json"
    level = {"name": "ar", "target_triangles": target, "texture_px": 256}
    recipe.write_text(json.dumps({"name": "small", "description": "", "levels": [level]}), encoding="utf-8")
    options = RunOptions(provenance=PROVENANCE)
    first = run_pipeline(fuze, tmp_path / "a", recipe=str(recipe), options=options)
    second = run_pipeline(fuze, tmp_path / "b", recipe=str(recipe), options=options)
    assert [lv.path.read_bytes() for lv in first.levels] == [lv.path.read_bytes() for lv in second.levels]
    stages = [step["stage"] for step in first.levels[0].steps]
    assert ("fit" in stages) == (target < 1000)


def test_web_recipe_on_the_mask_scan(bali_mask: Path, tmp_path: Path, validate: Validator) -> None:
    started = time.perf_counter()
    result = run_pipeline(bali_mask, tmp_path / "web", recipe="web")
    elapsed = time.perf_counter() - started
    names = [level.name for level in result.levels]
    assert names == [level.name for level in load_recipe("web").levels]
    by_name = {level.name: level for level in result.levels}
    assert by_name["thumb"].triangles <= 20_000 and by_name["thumb"].texture_px == 512
    assert by_name["ar"].triangles <= 100_000 and by_name["ar"].texture_px <= 2048
    assert by_name["high"].texture_px == 4096  # never upscaled beyond the 4K source atlas
    assert 0 < by_name["thumb"].error_pct_diag < 1
    for level in result.levels:
        assert error_messages(validate(level.path)) == [], level.name
        assert inspect_source(level.path).triangles == level.triangles
    assert by_name["thumb"].bytes < by_name["ar"].bytes < by_name["high"].bytes
    assert elapsed < 60
    assert result.poster == tmp_path / "web" / "poster.webp"
    assert result.usdz == tmp_path / "web" / "ar.usdz" and result.usdz.stat().st_size > 0
    with Image.open(result.poster) as poster:
        assert (
            poster.size == (1024, 1024) and poster.getchannel("A").getextrema()[1] == 255
        )  # the mask covers pixels
    # Decoded back, every level's vertices sit within its reported error of a source vertex (the
    # simplifier only removes vertices; the fit moves each by at most the simplifier's bound) and
    # the 14-bit position grid.
    with Bundle(bali_mask) as bundle:
        source = orient(clean(load_model(bundle), CleanOptions()), OrientOptions())
    tree = cKDTree(np.concatenate([p.positions for p in source.primitives]))
    low, high = source.bounds()
    step = float((high - low).max()) / (2**14 - 1)
    for level in result.levels:
        with Bundle(level.path) as bundle:
            decoded = load_model(bundle)
        distance, _ = tree.query(np.concatenate([p.positions for p in decoded.primitives]))
        assert distance.max() <= level.error_m + step, level.name


def test_recipe_with_unknown_keys_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"unknown keys \['target_tris'\]"):
        parse_recipe(
            {"name": "x", "description": "", "levels": [{"name": "a", "target_tris": 5, "texture_px": 64}]},
            "x.json",
        )
    with pytest.raises(InvalidInput, match="expected int"):
        parse_recipe(
            {
                "name": "x",
                "description": "",
                "levels": [{"name": "a", "target_triangles": "5", "texture_px": 64}],
            },
            "x.json",
        )


LEVEL = {"name": "a", "target_triangles": 5, "texture_px": 64}


@pytest.mark.parametrize(
    ("recipe", "words"),
    [
        ({"name": "x", "levels": [LEVEL]}, r"x.json: missing keys \['description'\]"),
        ({"name": "x", "description": "", "levels": 5}, "levels: expected a list of level objects"),
        ({"name": "x", "description": "", "levels": [{**LEVEL, "max_error": -1}]}, "max_error above 0"),
        ({"name": "x", "description": "", "levels": [{**LEVEL, "max_error": 2}]}, "and at most 1"),
        (
            {"name": "x", "description": "", "levels": [LEVEL], "clean": {"min_component_triangles": 5}},
            "clean: min_component_triangles and _diagonal are 0–1",
        ),
    ],
)
def test_recipe_with_missing_or_out_of_range_settings_is_refused(
    recipe: dict[str, object], words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        parse_recipe(recipe, "x.json")


def test_recipe_file_that_is_not_strict_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(
        '{"name": "x", "description": "", "levels": [{"name": "a", "target_triangles": 5, '
        '"texture_px": 64, "max_error": 1e400}]}'
    )
    with pytest.raises(InvalidInput, match=r"odd.json: not a JSON recipe \(the number 1e400 is out of range"):
        load_recipe(str(path))
    with pytest.raises(InvalidInput, match=r"missing\.json: cannot be read"):
        load_recipe(str(tmp_path / "missing.json"))


def test_a_failed_run_leaves_no_earlier_output_looking_finished(fuze: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_pipeline(fuze, out, recipe="preview")
    (out / "notes.txt").write_text("mine")
    assert (out / "manifest.json").exists() and (out / "ar.glb").exists()
    with pytest.raises(InvalidInput, match="m across"):
        run_pipeline(fuze, out, recipe="preview", options=RunOptions(scale_factor=1e300))
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_an_output_folder_that_cannot_be_made_is_a_storage_error(fuze: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(StorageError, match=r"cannot write to the output folder .*afile/sub: Not a directory"):
        run_pipeline(fuze, tmp_path / "afile" / "sub", recipe="preview")


def test_unknown_recipe_name_is_refused(fuze: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown recipe 'nope'"):
        run_pipeline(fuze, tmp_path, recipe="nope")


def test_cli_inspect_and_run(fuze: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    inspected = runner.invoke(pipeline_group, ["inspect", str(fuze), "--json"])
    assert inspected.exit_code == 0 and json.loads(inspected.output)["triangles"] == 1000
    ran = runner.invoke(
        pipeline_group,
        [
            "run",
            str(fuze),
            "--out",
            str(tmp_path / "o"),
            "--recipe",
            "preview",
            "--up",
            "Z",
            "--scale",
            "2",
            "--licence",
            "MIT",
            "--capture",
            "photos=12",
        ],
    )
    assert ran.exit_code == 0, ran.output
    assert "ar" in ran.output and (tmp_path / "o" / "ar.glb").is_file()
    assert inspect_source(tmp_path / "o" / "ar.glb").bounds_max[1] == pytest.approx(2 * 0.215128, abs=1e-3)


def test_python_m_pipeline_writes_what_run_pipeline_writes(fuze: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pipeline", "run", str(fuze), "--out", str(tmp_path / "cli")]
    done = subprocess.run([*command, "--recipe", "preview"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "manifest" in done.stderr and "manifest:" in done.stdout  # progress, then the summary
    run_pipeline(fuze, tmp_path / "lib", recipe="preview")
    assert (tmp_path / "cli" / "ar.glb").read_bytes() == (tmp_path / "lib" / "ar.glb").read_bytes()


def test_cli_reports_bad_input_with_exit_code_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.glb"
    junk.write_bytes(b"nonsense")
    result = CliRunner().invoke(pipeline_group, ["inspect", str(junk)])
    assert result.exit_code == 2
    assert "junk.glb" in result.output and "Traceback" not in result.output


def test_cli_runs_a_recipe_file(fuze: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "tiny.json"
    recipe.write_text(
        json.dumps(
            {
                "name": "tiny",
                "description": "one JPEG level",
                "levels": [
                    {
                        "name": "tiny",
                        "target_triangles": 300,
                        "texture_px": 128,
                        "texture_format": "jpeg",
                        "max_error": 0.5,
                    }
                ],
            }
        )
    )
    result = CliRunner().invoke(
        pipeline_group, ["run", str(fuze), "--out", str(tmp_path / "o"), "--recipe", str(recipe)]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    [level] = manifest["levels"]
    assert level["name"] == "tiny" and level["triangles"] <= 300 and level["texture_px"] == 128
    assert b"image/jpeg" in (tmp_path / "o" / "tiny.glb").read_bytes()
    # The 1024² JPEG was decoded at a quarter (2 × 128 px is all the level needs); the report
    # still gives the file's own size.
    [texture] = manifest["inspect"]["textures"]
    assert (texture["width"], texture["height"]) == (1024, 1024)


def test_gargoyle_ply_with_vertex_colours_runs_end_to_end(
    gargoyle: Path, tmp_path: Path, validate: Validator
) -> None:
    result = run_pipeline(
        gargoyle, tmp_path / "g", recipe="preview", options=RunOptions(known_dimension=("height", 0.6))
    )
    [level] = result.levels
    assert level.triangles <= 20_000 and level.texture_px == 0
    report = validate(level.path)
    assert error_messages(report) == []
    back = inspect_source(level.path)
    assert back.has_vertex_colors and back.bounds_max[1] - back.bounds_min[1] == pytest.approx(0.6, rel=1e-3)

"""Hostile glTF JSON: every file is refused with InvalidInput naming it and the problem, before any
native decoder sees an inconsistent layout and before instancing multiplies the work."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import meshoptimizer
import numpy as np
import pytest
from click.testing import CliRunner

from hue_errors import InvalidInput, TooLarge
from pipeline.bundle import Bundle
from pipeline.cli import pipeline_group
from pipeline.gltf_read import MAX_PRIMITIVES, MAX_TRIANGLES
from pipeline.ingest import load_model
from pipeline.inspect import inspect_source
from tests.pipeline.synthetic import gltf_document, grid, write_gltf

RAW = "__raw__"  # stands in for JSON text json.dumps cannot write (1e400, 5000 digits)


def plain_document(n: int = 2) -> dict[str, Any]:
    positions, indices, _ = grid(n)
    return gltf_document(positions, indices)


def write_raw(path: Path, document: dict[str, Any], raw: str) -> Path:
    """``document`` as JSON with the string ``RAW`` replaced by the JSON text ``raw``."""
    path.write_text(json.dumps(document).replace(json.dumps(RAW), raw), encoding="utf-8")
    return path


def meshopt_document(
    count: int = 9, stride: int = 4, mode: str = "ATTRIBUTES", filter_name: str = "NONE"
) -> dict[str, Any]:
    """A grid whose COLOR_0 is an EXT_meshopt_compression view of ``count`` × ``stride`` bytes."""
    document = plain_document()
    # A stream of 4-byte elements: every other layout must be refused before it is decoded.
    words = np.random.default_rng(0).integers(0, 2**32, size=(count, 1), dtype=np.uint32)
    stream = meshoptimizer.encode_vertex_buffer(words, count, 4)
    ext = {"buffer": 1, "byteLength": len(stream), "byteStride": stride, "count": count, "mode": mode}
    document["buffers"].append(
        {
            "byteLength": len(stream),
            "uri": "data:application/octet-stream;base64," + base64.b64encode(stream).decode(),
        }
    )
    document["bufferViews"].append(
        {
            "buffer": 1,
            "byteLength": count * stride,
            "byteStride": stride,
            "extensions": {"EXT_meshopt_compression": {**ext, "filter": filter_name}},
        }
    )
    document["accessors"].append(
        {"bufferView": 2, "componentType": 5121, "normalized": True, "count": 9, "type": "VEC4"}
    )
    document["meshes"][0]["primitives"][0]["attributes"]["COLOR_0"] = 2
    return document


def refused(path: Path) -> str:
    with pytest.raises(InvalidInput) as caught:
        inspect_source(path)
    return caught.value.message


def test_meshopt_filter_stride_that_would_overrun_the_buffer_exits_2(tmp_path: Path) -> None:
    # QUATERNION writes 8 bytes an element: with byteStride 4 the native filter wrote past the
    # decoded buffer and crashed the process, so run the reader in its own.
    path = write_gltf(tmp_path / "m.gltf", meshopt_document(200_000, 4, filter_name="QUATERNION"))
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "inspect", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: ingest: m.gltf: bufferViews[2].extensions.EXT_meshopt_compression: byteStride 4 with mode "
        "ATTRIBUTES and filter QUATERNION (expected 8)"
    ]


@pytest.mark.parametrize(
    ("count", "stride", "mode", "filter_name", "message"),
    [
        (9, 12, "ATTRIBUTES", "OCTAHEDRAL", "byteStride 12 .* filter OCTAHEDRAL .expected 4 or 8"),
        (9, 16, "ATTRIBUTES", "QUATERNION", "byteStride 16 .* filter QUATERNION .expected 8"),
        (9, 6, "ATTRIBUTES", "EXPONENTIAL", "byteStride 6 .* filter EXPONENTIAL .expected a multiple of 4"),
        (9, 7, "ATTRIBUTES", "NONE", "byteStride 7 with mode ATTRIBUTES .* a multiple of 4 up to 256"),
        (9, 260, "ATTRIBUTES", "NONE", "byteStride 260 with mode ATTRIBUTES"),
        (4, 4, "TRIANGLES", "NONE", "TRIANGLES count 4 is not a multiple of 3"),
        (9, 3, "INDICES", "NONE", "byteStride 3 with mode INDICES .*expected 2 or 4"),
        (9, 4, "TRIANGLES", "OCTAHEDRAL", "filter 'OCTAHEDRAL' with mode TRIANGLES"),
        (9, 4, "ATTRIBUTES", "SHUFFLE", "filter 'SHUFFLE'"),
        (9, 4, "PACKED", "NONE", "unknown mode 'PACKED'"),
    ],
)
def test_meshopt_layout_the_extension_forbids_is_refused(
    tmp_path: Path, count: int, stride: int, mode: str, filter_name: str, message: str
) -> None:
    path = write_gltf(tmp_path / "m.gltf", meshopt_document(count, stride, mode, filter_name))
    with pytest.raises(
        InvalidInput, match=rf"m\.gltf: bufferViews\[2\]\.extensions\.EXT_meshopt_compression: {message}"
    ):
        inspect_source(path)


def test_meshopt_view_must_hold_exactly_count_times_stride(tmp_path: Path) -> None:
    document = meshopt_document()
    document["bufferViews"][2]["byteLength"] = 40
    message = refused(write_gltf(tmp_path / "m.gltf", document))
    assert "bufferViews[2]: byteLength 40 is not count 9 × byteStride 4" in message


def test_meshopt_view_stride_must_match_the_extension(tmp_path: Path) -> None:
    document = meshopt_document()
    document["bufferViews"][2]["byteStride"] = 8
    message = refused(write_gltf(tmp_path / "m.gltf", document))
    assert "bufferViews[2]: byteStride 8 is not the byteStride 4 of its EXT_meshopt_compression" in message


def test_meshopt_view_with_a_valid_layout_decodes(tmp_path: Path) -> None:
    assert inspect_source(write_gltf(tmp_path / "m.gltf", meshopt_document())).has_vertex_colors


def dag_document(levels: int) -> dict[str, Any]:
    """Each node lists the next one twice: 2^levels instances of one small mesh in ~2 KB."""
    document = plain_document()
    document["nodes"] = [{"children": [i + 1, i + 1]} for i in range(levels)] + [{"mesh": 0}]
    return document


def test_node_with_two_parents_is_refused_before_instancing(tmp_path: Path) -> None:
    # Refused at the first repeat visit: expanding 2^40 instances first would never end.
    message = refused(write_gltf(tmp_path / "m.gltf", dag_document(40)))
    assert "m.gltf: nodes[40] is reached twice" in message and "§3.5.2" in message


def test_child_listed_200000_times_is_refused_before_instancing(tmp_path: Path) -> None:
    document = plain_document()
    document["nodes"] = [{"children": [1] * 200_000}, {"mesh": 0}]
    assert "nodes[1] is reached twice" in refused(write_gltf(tmp_path / "m.gltf", document))


def test_node_cycle_is_refused(tmp_path: Path) -> None:
    document = plain_document()
    document["nodes"] = [{"mesh": 0, "children": [1]}, {"children": [0]}]
    assert "nodes[0] is reached twice" in refused(write_gltf(tmp_path / "m.gltf", document))


def instanced_document(n: int, instances: int) -> dict[str, Any]:
    """An n×n grid placed by ``instances`` sibling nodes under one root."""
    document = plain_document(n)
    document["nodes"] = [{"children": list(range(1, instances + 1))}] + [
        {"mesh": 0, "translation": [i, 0, 0]} for i in range(instances)
    ]
    return document


def test_more_placed_primitives_than_the_limit_are_refused(tmp_path: Path) -> None:
    path = write_gltf(tmp_path / "m.gltf", instanced_document(1, MAX_PRIMITIVES + 1))
    with pytest.raises(
        TooLarge, match=rf"m\.gltf: the scene places more than {MAX_PRIMITIVES:,} mesh primitives"
    ):
        inspect_source(path)


def test_more_placed_triangles_than_the_limit_are_refused(tmp_path: Path) -> None:
    per_mesh = 2 * 100 * 100
    instances = MAX_TRIANGLES // per_mesh + 1
    assert instances <= MAX_PRIMITIVES
    path = write_gltf(tmp_path / "m.gltf", instanced_document(100, instances))
    with pytest.raises(
        TooLarge, match=rf"places {instances * per_mesh:,} triangles \(expected ≤ {MAX_TRIANGLES:,}\)"
    ):
        inspect_source(path)


def test_instanced_mesh_is_placed_once_per_node(tmp_path: Path) -> None:
    document = instanced_document(2, 3)
    document["nodes"][3]["scale"] = [-1, 1, 1]
    with Bundle(write_gltf(tmp_path / "m.gltf", document)) as bundle:
        model = load_model(bundle)
    first, second, mirrored = model.primitives
    np.testing.assert_allclose(second.positions - first.positions, [[1, 0, 0]] * len(first.positions))
    assert np.array_equal(mirrored.indices, first.indices[:, ::-1])
    first.positions[:] = 0  # instances own their arrays
    assert second.positions[:, 0].min() == 1
    assert not any(np.shares_memory(a.indices, b.indices) for a, b in ((first, second), (second, mirrored)))


@pytest.mark.parametrize(
    "raw", ['{"asset": "2.0", "meshes": []}', '{"asset": [2], "meshes": []}', '{"asset": {"version": 2.0}}']
)
def test_gltf_without_an_asset_version_string_is_refused(tmp_path: Path, raw: str) -> None:
    path = tmp_path / "m.gltf"
    path.write_text(raw, encoding="utf-8")
    assert "m.gltf: not a glTF 2.0 document (asset.version must be 2.x)" in refused(path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("[" * 200_000 + "]" * 200_000, "JSON is nested too deeply", id="deep"),
        pytest.param("9" * 5000, "an integer has 5000 digits (at most 40)", id="long-integer"),
        pytest.param("NaN", "NaN is not a JSON number", id="nan"),
    ],
)
def test_json_python_cannot_hold_is_refused(tmp_path: Path, raw: str, message: str) -> None:
    path = write_raw(tmp_path / "m.gltf", {"asset": {"version": "2.0"}, "extras": RAW}, raw)
    assert f"m.gltf: not valid glTF JSON ({message}" in refused(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda d: d["accessors"][0].update(count=RAW),
            "not valid glTF JSON (the number 1e400 is out of range",
            id="count-1e400",
        ),
        pytest.param(
            lambda d: d["accessors"][0].update(count=2.5),
            "accessors[0].count is 2.5 (expected an integer ≥ 1)",
            id="count-fraction",
        ),
        pytest.param(
            lambda d: d["accessors"][0].update(count="9"),
            "accessors[0].count is '9' (expected an integer ≥ 1)",
            id="count-string",
        ),
        pytest.param(
            lambda d: d["accessors"][0].update(count=1e300),
            "accessors[0].count is 1e+300 (expected an integer ≥ 1)",
            id="count-inexact",
        ),
        pytest.param(
            lambda d: d["accessors"][0].update(bufferView=True),
            "bufferViews[True] does not exist (expected an integer index below 2)",
            id="index-boolean",
        ),
        pytest.param(
            lambda d: d["accessors"][0].update(bufferView="0"),
            "bufferViews['0'] does not exist",
            id="index-string",
        ),
        pytest.param(
            lambda d: d["accessors"][0].update(byteOffset=-4),
            "accessors[0].byteOffset is -4 (expected an integer ≥ 0)",
            id="offset-negative",
        ),
        pytest.param(
            lambda d: d["bufferViews"][0].update(byteLength=True),
            "bufferViews[0].byteLength is True",
            id="length-boolean",
        ),
        pytest.param(
            lambda d: d["meshes"][0]["primitives"][0].update(mode="4"),
            "meshes[0].primitives[0].mode is '4'",
            id="mode-string",
        ),
        pytest.param(
            lambda d: d["meshes"][0]["primitives"][0].update(material=0.5),
            "materials[0.5] does not exist",
            id="material-fraction",
        ),
        pytest.param(
            lambda d: d["scenes"][0].update(nodes="0"),
            "scene.nodes is '0' (expected an array)",
            id="roots-string",
        ),
        pytest.param(
            lambda d: d["meshes"][0].update(primitives="ab"),
            "meshes[0].primitives is 'ab' (expected an array)",
            id="primitives-string",
        ),
    ],
)
def test_non_integer_where_gltf_wants_an_integer_is_refused(tmp_path: Path, edit: Any, message: str) -> None:
    document = plain_document()
    edit(document)
    assert f"m.gltf: {message}" in refused(write_raw(tmp_path / "m.gltf", document, "1e400"))


def test_integers_written_as_whole_decimals_are_read(tmp_path: Path) -> None:
    # glTF 2.0 "JSON Encoding", item 5: 9, 9.0 and 9e0 are the same integer.
    document = plain_document()
    document["accessors"][0].update(count=9.0, bufferView=0.0)
    document["accessors"][1]["count"] = RAW
    path = write_raw(tmp_path / "m.gltf", document, "2.4e1")
    assert inspect_source(path).triangles == 8


def test_fractional_indices_are_refused(tmp_path: Path) -> None:
    positions, indices, _ = grid(2)
    document = gltf_document(positions, indices)
    data = positions.astype("<f4").tobytes() + (indices.astype("<f4") + 0.7).tobytes()
    document["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    document["accessors"][1]["componentType"] = 5126
    message = refused(write_gltf(tmp_path / "m.gltf", document))
    assert (
        "indices accessor 1 is 'SCALAR' of componentType 5126 (expected SCALAR of 5121, 5123 or 5125)"
        in message
    )


def with_material(pbr: dict[str, Any]) -> dict[str, Any]:
    document = plain_document()
    document["materials"] = [{"pbrMetallicRoughness": pbr}]
    document["meshes"][0]["primitives"][0]["material"] = 0
    return document


@pytest.mark.parametrize(
    ("pbr", "raw", "message"),
    [
        ({"baseColorFactor": [RAW, 1, 1, RAW]}, "1e400", "the number 1e400 is out of range"),
        ({"metallicFactor": RAW}, "1e400", "the number 1e400 is out of range"),
        ({"roughnessFactor": RAW}, "-1e400", "the number -1e400 is out of range"),
        (
            {"baseColorFactor": [2, 1, 1, 1]},
            "",
            "baseColorFactor is [2, 1, 1, 1] (expected 4 numbers from 0 to 1)",
        ),
        ({"baseColorFactor": [1, 1, 1]}, "", "baseColorFactor is [1, 1, 1] (expected 4 numbers"),
        ({"baseColorFactor": ["1", 1, 1, 1]}, "", "baseColorFactor is ['1', 1, 1, 1]"),
        ({"metallicFactor": -0.5}, "", "metallicFactor is -0.5 (expected a number from 0 to 1)"),
        ({"roughnessFactor": 1.5}, "", "roughnessFactor is 1.5 (expected a number from 0 to 1)"),
        ({"metallicFactor": True}, "", "metallicFactor is True (expected a number"),
        ({"metallicFactor": [0.5]}, "", "metallicFactor is [0.5] (expected a number"),
    ],
)
def test_material_factor_outside_its_range_is_refused(
    tmp_path: Path, pbr: dict[str, Any], raw: str, message: str
) -> None:
    path = write_raw(tmp_path / "m.gltf", with_material(pbr), raw)
    text = refused(path)
    assert "m.gltf: " in text and message in text


def test_material_factors_in_range_are_read(tmp_path: Path) -> None:
    pbr = {"baseColorFactor": [0.5, 0.25, 1, 0], "metallicFactor": 0, "roughnessFactor": 0.5}
    with Bundle(write_gltf(tmp_path / "m.gltf", with_material(pbr))) as bundle:
        material = load_model(bundle).materials[0]
    assert material.base_color_factor == (0.5, 0.25, 1.0, 0.0)
    assert (material.metallic_factor, material.roughness_factor) == (0.0, 0.5)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"asset": "2.0"}', id="asset-string"),
        pytest.param('{"asset": {"version": "2.0"}, "x": ' + "[" * 200_000 + "]" * 200_000 + "}", id="deep"),
        pytest.param('{"asset": {"version": "2.0"}, "x": ' + "9" * 5000 + "}", id="long-integer"),
        pytest.param('{"asset": {"version": "2.0"}, "accessors": [{"count": 1e400}]}', id="count-1e400"),
    ],
)
def test_cli_reports_hostile_gltf_in_one_line_with_exit_code_2(tmp_path: Path, raw: str) -> None:
    path = tmp_path / "m.gltf"
    path.write_text(raw, encoding="utf-8")
    result = CliRunner().invoke(pipeline_group, ["inspect", str(path)])
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1 and result.output.startswith("error: ingest: m.gltf: ")

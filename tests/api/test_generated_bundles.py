"""Generated damage to a valid scene bundle: scene.json values replaced or dropped, the GLB cut
short, overwritten or given another JSON chunk, a PLY cut short or its header damaged. The
upload gets a 202 or a 4xx, never a 5xx; a refused one stores no row, and an accepted one's
model job never fails but in words (hypothesis; the hostile table in ``hostile.py`` names the
exact messages)."""

from __future__ import annotations

import copy
import json
import struct
from typing import Any

import trimesh
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ar_service.models import Job, JobState
from ar_service.services import Services
from tests.api.bundles import bundle_files, make_zip, scene_doc
from tests.api.conftest import World, bearer, row_counts

FILES = bundle_files()
GLB = FILES["models/tower.glb"]
GLB_JSON_LENGTH = struct.unpack_from("<I", GLB, 12)[0]  # the first chunk's length (glTF 2.0 §4.4)
# Any JSON value, with the names and paths a scene document uses among the leaves and keys.
NAMES = ["vi", "en", "zz", "file", "image", "width_m", "audio", "captions", "text", "title", "id"]
FILE_NAMES = ["models/tower.glb", "markers/plaque.png", "audio/vi.mp3", "../x", "/etc/passwd"]
URLS = ["http://127.0.0.1/x", "file:///etc/passwd", "data:,x"]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from([*NAMES, *FILE_NAMES, *URLS]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10) | st.sampled_from(NAMES), inner, max_size=4)
    ),
    max_leaves=12,
)
GENERATED = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _places(node: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every key path in a JSON document, the root excluded."""
    children: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    return [place for key, child in children for place in [(*at, key), *_places(child, (*at, key))]]


def _upload_refuses_cleanly(
    client: FlaskClient, services: Services, world: World, files: dict[str, bytes]
) -> None:
    before = row_counts(services)
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=make_zip(files),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:600]
    if response.status_code >= 400:
        assert response.content_type == "application/problem+json"
        assert row_counts(services) == before
        return
    # Accepted damage the check cannot see (vertex values, say) fails the model job in words.
    with services.session_factory() as session:
        job = session.query(Job).filter_by(kind="model.process").order_by(Job.id.desc()).first()
        assert job is not None and job.state in (JobState.SUCCEEDED, JobState.FAILED)
        assert job.error_code != "internal", job.error_message


@GENERATED
@given(place=st.sampled_from(_places(scene_doc())), value=JSON_VALUES, drop=st.booleans())
def test_a_damaged_scene_document_is_refused_cleanly(
    client: FlaskClient,
    services: Services,
    world: World,
    place: tuple[str | int, ...],
    value: Any,
    drop: bool,
) -> None:
    doc = copy.deepcopy(scene_doc())
    parent: Any = doc
    for key in place[:-1]:
        parent = parent[key]
    if drop and isinstance(parent, dict):
        del parent[place[-1]]
    else:
        parent[place[-1]] = value
    _upload_refuses_cleanly(client, services, world, {**FILES, "scene.json": json.dumps(doc).encode()})


def _with_json_chunk(document: dict[str, Any]) -> bytes:
    chunk = json.dumps(document).encode()
    chunk += b" " * (-len(chunk) % 4)  # JSON chunks are padded with spaces to 4 bytes
    rest = GLB[20 + GLB_JSON_LENGTH :]
    header = struct.pack("<III", 0x46546C67, 2, 12 + 8 + len(chunk) + len(rest))
    return header + struct.pack("<II", len(chunk), 0x4E4F534A) + chunk + rest


@GENERATED
@given(
    damage=st.sampled_from(["cut", "overwrite", "json"]),
    at=st.integers(0, len(GLB) - 1),
    byte=st.integers(0, 255),
    count=st.integers(1, 8),
    value=JSON_VALUES,
)
def test_a_damaged_glb_is_refused_cleanly(
    client: FlaskClient,
    services: Services,
    world: World,
    damage: str,
    at: int,
    byte: int,
    count: int,
    value: Any,
) -> None:
    body = bytearray(GLB)
    if damage == "cut":
        body = body[:at]
    elif damage == "overwrite":
        for i in range(count):  # spread over the file by a prime stride
            body[(at + i * 7919) % len(body)] = (byte + i) % 256
    else:
        document = json.loads(GLB[20 : 20 + GLB_JSON_LENGTH])
        document[sorted(document)[at % len(document)]] = value
        body = bytearray(_with_json_chunk(document))
    _upload_refuses_cleanly(client, services, world, {**FILES, "models/tower.glb": bytes(body)})


PLY_FILES = {
    k: v for k, v in bundle_files(model={"file": "models/scan.ply"}).items() if k != "models/tower.glb"
}
# A binary PLY with vertex colours, as photogrammetry tools write them. It is cut anywhere; bytes
# and words are replaced in its header, where counts, types and properties are declared.
SPHERE = trimesh.creation.icosphere(subdivisions=1)
SPHERE.visual.vertex_colors = [200, 120, 40, 255]
PLY: bytes = SPHERE.export(file_type="ply")
PLY_HEADER = PLY.index(b"end_header\n") + len(b"end_header\n")
HEADER_WORDS = ["vertex", "face", "list", "uchar", "int", "float", "double", "99999999999", "-1", "ascii"]


@settings(GENERATED, max_examples=40)  # an accepted one runs the pipeline: 1.5 s
@given(
    damage=st.sampled_from(["cut", "overwrite", "word"]),
    at=st.integers(0, len(PLY) - 1),
    byte=st.integers(0, 255),
    word=st.sampled_from(HEADER_WORDS),
)
def test_a_damaged_ply_is_refused_cleanly(
    client: FlaskClient, services: Services, world: World, damage: str, at: int, byte: int, word: str
) -> None:
    body = bytearray(PLY)
    if damage == "cut":
        body = body[:at]
    elif damage == "overwrite":
        body[at % PLY_HEADER] = byte
    else:  # one word of the header replaced by another
        words = PLY[:PLY_HEADER].split(b" ")
        words[at % len(words)] = word.encode()
        body = bytearray(b" ".join(words) + PLY[PLY_HEADER:])
    _upload_refuses_cleanly(client, services, world, {**PLY_FILES, "models/scan.ply": bytes(body)})

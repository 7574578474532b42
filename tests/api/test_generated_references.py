"""Generated file names and the references to them in OBJ, MTL and glTF files, from models at
the bundle's root or in folders (whose references then start with '../'): an upload the check
accepts is one whose model job then reads every file, and one the check refuses for a
reference is one the pipeline's reader refuses too (hypothesis)."""

from __future__ import annotations

import base64
import json
import posixpath
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ar_service.models import Job, JobState
from ar_service.services import Services
from hue_errors import InvalidInput
from pipeline.bundle import Bundle
from pipeline.ingest import load_model
from tests.api.bundles import make_zip, marker_png, write_files
from tests.api.conftest import World, bearer
from tests.pipeline.synthetic import gltf_document, grid

# Pieces of the names exporters write: spaces, Vietnamese, characters URIs treat specially.
PIECES = ["a", "Huế", "ngọ môn", " ", "#", "%", "%20", "?", "-", "_", "2", "."]
NAMES = st.builds(
    lambda folder, parts, suffix: folder + "".join(parts).strip() + suffix,
    st.sampled_from(["", "textures/", "tex ture/"]),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=4),
    st.sampled_from([".png", ".PNG"]),
).filter(lambda name: not name.startswith((".", "/")) and "/." not in name)
MAP_OPTIONS = st.sampled_from(["", "-bm 0.5 ", "-s 1 1 1 ", "-o 0.5 1 ", "-clamp on -texres 512 "])
# How a reference may spell the stored name: as stored, decomposed (macOS), with Windows
# separators, from './', percent-encoded, or naming another file.
SPELLINGS = st.sampled_from(["same", "nfd", "backslash", "dot", "quoted", "other"])
GENERATED = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TRIANGLE = "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n"
OBJ = "mtllib{gap}{library}\nusemtl a\n" + TRIANGLE
GAPS = st.sampled_from([" ", "\t", "  "])
MODEL_FOLDERS = st.sampled_from(
    ["", "models/", "models/scan 1/"]
)  # where the model lies  # what separates a statement's keyword from its names


def _spelled(name: str, spelling: str) -> str:
    return {
        "same": name,
        "nfd": unicodedata.normalize("NFD", name),
        "backslash": name.replace("/", "\\"),
        "dot": "./" + name,
        "quoted": quote(name),
        "other": "x" + name,
    }[spelling]


@dataclass(frozen=True)
class Agreement:
    """Uploads a bundle as a developer, and reads it with the pipeline's reader if refused."""

    client: FlaskClient
    services: Services
    world: World
    folders: pytest.TempPathFactory

    def check(self, files: dict[str, bytes]) -> None:
        """The upload is accepted and its model job succeeds, or it is refused and so is the reader."""
        response = self.client.post(
            "/api/v1/sites/thien-mu/scenes",
            data=make_zip(files),
            headers=bearer(self.world.dev_a),
            content_type="application/zip",
        )
        assert response.status_code in (202, 400), response.get_data(as_text=True)[:600]
        if response.status_code == 202:
            with self.services.session_factory() as session:
                job = session.query(Job).filter_by(kind="model.process").order_by(Job.id.desc()).first()
                assert job is not None and job.state is JobState.SUCCEEDED, job and job.error_message
            return
        with pytest.raises(InvalidInput), Bundle(write_files(files, self.folders.mktemp("bundle"))) as bundle:
            load_model(bundle)


@pytest.fixture
def agreement(
    client: FlaskClient, services: Services, world: World, tmp_path_factory: pytest.TempPathFactory
) -> Agreement:
    return Agreement(client, services, world, tmp_path_factory)


def _scene(model: str) -> bytes:
    return json.dumps({"title": "Ngọ Môn", "languages": ["vi"], "model": {"file": model}}).encode()


def _from(owner: str, name: str) -> str:
    """How file ``owner`` names bundle file ``name``: relative to its folder ('../x' from one)."""
    return posixpath.relpath(name, posixpath.dirname(owner) or ".")


@GENERATED
@given(texture=NAMES, library=NAMES, options=MAP_OPTIONS, spelling=SPELLINGS, gap=GAPS, model=MODEL_FOLDERS)
def test_obj_references_the_check_accepts_are_read_by_the_job(
    agreement: Agreement, texture: str, library: str, options: str, spelling: str, gap: str, model: str
) -> None:
    library = library.rsplit(".", 1)[0] + ".mtl"
    model += "m.obj"
    texture_reference = _spelled(_from(library, texture), spelling)
    files = {
        "scene.json": _scene(model),
        model: OBJ.format(gap=gap, library=_from(model, library)).encode(),
        library: f"newmtl a\nmap_Kd{gap}{options}{texture_reference}\n".encode(),
        texture: marker_png(32),
    }
    agreement.check(files)


@GENERATED
@given(
    texture=NAMES,
    buffer=NAMES,
    spelling=SPELLINGS,
    suffix=st.sampled_from(["", "?v=2", "#atlas"]),
    model=MODEL_FOLDERS,
)
def test_gltf_uris_the_check_accepts_are_read_by_the_job(
    agreement: Agreement, texture: str, buffer: str, spelling: str, suffix: str, model: str
) -> None:
    buffer = buffer.rsplit(".", 1)[0] + ".bin"
    model += "m.gltf"
    positions, indices, uvs = grid(2)
    image_uri = _spelled(_from(model, texture), spelling) + suffix
    doc = gltf_document(positions, indices, uvs, image_uri=image_uri)
    data = base64.b64decode(doc["buffers"][0]["uri"].partition(",")[2])
    doc["buffers"][0]["uri"] = quote(_from(model, buffer))
    files = {
        "scene.json": _scene(model),
        model: json.dumps(doc).encode(),
        buffer: data,
        texture: marker_png(32),
    }
    agreement.check(files)

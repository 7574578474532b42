"""Uploading scene bundles: a valid one becomes a draft with queued jobs; hostile ones store nothing."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from ar_service.models import AssetVersion, Job, SceneState, SceneVersion
from ar_service.services import Services
from pipeline.bundle import Bundle
from pipeline.ingest import load_model
from tests.api.bundles import box_glb, bundle_files, make_zip, marker_png, write_files
from tests.api.conftest import World, bearer, row_counts, stored_keys
from tests.api.hostile import HOSTILE, Hostile
from tests.conftest import SHARED_DATA
from tests.pipeline.synthetic import gltf_document, grid


def upload(
    client: FlaskClient,
    token: str,
    body: bytes,
    slug: str = "thien-mu",
    content_type: str = "application/zip",
) -> Any:
    return client.post(
        f"/api/v1/sites/{slug}/scenes", data=body, headers=bearer(token), content_type=content_type
    )


def test_valid_zip_becomes_a_draft_version_with_stored_files_and_jobs(
    client: FlaskClient, services: Services, world: World
) -> None:
    files = bundle_files()
    response = upload(client, world.dev_a, make_zip(files))
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["version"]["state"] == "draft"
    assert response.headers["Location"] == body["version"]["url"]
    assert len(body["jobs"]) == 2
    keys = stored_keys(services)
    for name in ("models/tower.glb", "markers/plaque.png", "audio/vi.mp3", "audio/en.mp3", "captions/vi.vtt"):
        digest = hashlib.sha256(files[name]).hexdigest()
        assert any(digest in key for key in keys), f"{name} is not stored content-addressed"
    with services.session_factory() as session:
        version = session.get(SceneVersion, 1)
        assert version is not None and version.state is SceneState.DRAFT
        model = session.get(AssetVersion, version.model_version_id)
        assert model is not None and model.sha256 == hashlib.sha256(files["models/tower.glb"]).hexdigest()
        assert set(version.narration) == {"vi", "en"} and "captions" in version.narration["vi"]
        assert version.placement["marker_width_m"] == 0.3
        kinds = sorted(job.kind for job in session.query(Job))
    assert kinds == ["marker.compile", "model.process"]
    for url in body["jobs"]:
        job = client.get(url, headers=bearer(world.dev_a))
        assert job.status_code == 200
        state = job.get_json()
        # Immediate mode ran each job once already; a failed attempt reports its error.
        assert state["attempts"] >= 1
        assert (state["error"] is None) == (state["state"] == "succeeded")


def test_multipart_bundle_is_accepted_like_a_zip(client: FlaskClient, world: World) -> None:
    data = {name: (io.BytesIO(content), Path(name).name) for name, content in bundle_files().items()}
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=data,
        headers=bearer(world.dev_a),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()


def test_multipart_part_named_with_dot_dot_is_refused(
    client: FlaskClient, services: Services, world: World
) -> None:
    data: dict[str, Any] = {name: (io.BytesIO(content), "f") for name, content in bundle_files().items()}
    data["../../etc/x"] = (io.BytesIO(b"x"), "x")
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=data,
        headers=bearer(world.dev_a),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert {
        "file": "../../etc/x",
        "problem": "path leaves the bundle through '..' (zip slip)",
    } in response.get_json()["errors"]
    assert stored_keys(services) == []


def _obj_bundle(texture_entry: str, texture_reference: str, library: str = "m.mtl") -> dict[str, bytes]:
    """A textured OBJ: its MTL ``library`` names the texture ``texture_reference``, stored as
    ``texture_entry``."""
    obj = f"mtllib {library}\nusemtl a\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n"
    scene = {"title": "Ngọ Môn", "languages": ["vi"], "model": {"file": "m.obj"}}
    return {
        "scene.json": json.dumps(scene).encode(),
        "m.obj": obj.encode(),
        library: f"newmtl a\nmap_Kd {texture_reference}\n".encode(),
        texture_entry: marker_png(64),
    }


@pytest.mark.parametrize(
    ("library", "texture_entry", "texture_reference"),
    [
        ("my scan.mtl", "mask.png", "mask.png"),  # an MTL name with a space
        ("m.mtl", "Huế lantern.png", "-bm 0.5 Huế lantern.png"),  # a spaced name after an option
        ("m.mtl", "textures/mask.png", "-s 1 1 1 textures\\mask.png"),  # a Windows exporter's path
        ("m.mtl", "scan#2 100%25.png", "scan#2 100%25.png"),  # not a URI: '#' and '%25' are the name's
    ],
)
def test_an_obj_bundle_the_check_accepts_is_one_the_pipeline_reads(
    library: str,
    texture_entry: str,
    texture_reference: str,
    client: FlaskClient,
    world: World,
    tmp_path: Path,
) -> None:
    files = _obj_bundle(texture_entry, texture_reference, library)
    response = upload(client, world.dev_a, make_zip(files))
    assert response.status_code == 202, response.get_json()
    with Bundle(write_files(files, tmp_path / "bundle")) as bundle:
        texture = load_model(bundle).materials[0].base_color_texture
    assert texture is not None and texture.name == texture_entry


def _gltf_naming(image_uri: str, buffer_uri: str) -> tuple[bytes, bytes]:
    """A textured grid's glTF naming its image and its buffer by these URIs, and the buffer."""
    positions, indices, uvs = grid(3)
    doc = gltf_document(positions, indices, uvs, image_uri=image_uri)
    buffer = base64.b64decode(doc["buffers"][0]["uri"].partition(",")[2])
    doc["buffers"][0]["uri"] = buffer_uri
    return json.dumps(doc).encode(), buffer


def test_a_gltf_bundle_the_check_accepts_is_one_the_pipeline_reads(
    client: FlaskClient, world: World, tmp_path: Path
) -> None:
    """URI references: a query and a fragment are no part of the file, percent-encoding is decoded."""
    gltf, buffer = _gltf_naming("Hu%E1%BA%BF%20mask.png#atlas", "scan%231.bin?v=2")
    scene = {"title": "Ngọ Môn", "languages": ["vi"], "model": {"file": "m.gltf"}}
    files = {
        "scene.json": json.dumps(scene).encode(),
        "m.gltf": gltf,
        "scan#1.bin": buffer,
        "Huế mask.png": marker_png(64),
    }
    response = upload(client, world.dev_a, make_zip(files))
    assert response.status_code == 202, response.get_json()
    with Bundle(write_files(files, tmp_path / "bundle")) as bundle:
        model = load_model(bundle)
    texture = model.materials[0].base_color_texture
    assert texture is not None and texture.image.size == (64, 64)
    assert model.triangle_count == len(grid(3)[1])


def test_references_up_a_folder_inside_the_bundle_are_read_by_the_pipeline_too(
    client: FlaskClient, world: World, tmp_path: Path
) -> None:
    """A model in models/ may name '../textures/a.png': '..' is refused only where it leaves the bundle."""
    gltf, buffer = _gltf_naming("../textures/mask.png", "../buffers/m.bin")
    obj = (
        "mtllib ../materials/m.mtl\nusemtl a\n"
        + "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n"
    )
    for model, files in (
        ("models/m.gltf", {"models/m.gltf": gltf, "buffers/m.bin": buffer}),
        (
            "models/m.obj",
            {"models/m.obj": obj.encode(), "materials/m.mtl": b"newmtl a\nmap_Kd ../textures/mask.png\n"},
        ),
    ):
        scene = {"title": "Ngọ Môn", "languages": ["vi"], "model": {"file": model}}
        files = {**files, "scene.json": json.dumps(scene).encode(), "textures/mask.png": marker_png(64)}
        response = upload(client, world.dev_a, make_zip(files))
        assert response.status_code == 202, response.get_json()
        with Bundle(write_files(files, tmp_path / model)) as bundle:
            texture = load_model(bundle).materials[0].base_color_texture
        assert texture is not None and texture.image.size == (64, 64)


def test_a_missing_texture_after_map_options_is_named_whole(client: FlaskClient, world: World) -> None:
    files = _obj_bundle("mask.png", "-bm 0.5 Huế lantern.png")
    response = upload(client, world.dev_a, make_zip(files))
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"file": "m.mtl", "problem": "texture 'Huế lantern.png' is not in the bundle"}
    ]


def test_a_texture_stored_decomposed_is_found_by_its_composed_name(client: FlaskClient, world: World) -> None:
    """A zip made on macOS stores "Huế.png" decomposed (NFD); the MTL naming it is composed."""
    files = _obj_bundle(unicodedata.normalize("NFD", "Huế ngọ môn.png"), "Huế ngọ môn.png")
    response = upload(client, world.dev_a, make_zip(files))
    assert response.status_code == 202, response.get_json()


def test_one_name_in_both_unicode_forms_is_refused_as_a_duplicate(client: FlaskClient, world: World) -> None:
    files = _obj_bundle("Huế.png", "Huế.png")
    files[unicodedata.normalize("NFD", "Huế.png")] = marker_png(32)
    response = upload(client, world.dev_a, make_zip(files))
    assert response.status_code == 400
    assert "appears twice in the bundle" in response.get_json()["errors"][0]["problem"]


def _shared(folder: str) -> Path:
    path = SHARED_DATA / folder
    if not path.is_dir():
        pytest.skip(f"sample data {path} is absent")
    return path


def test_real_gltf_with_separate_buffer_and_texture_is_stored_as_one_model(
    client: FlaskClient, services: Services, world: World
) -> None:
    """The Bali mask scan (CC BY-SA 4.0): .gltf + .bin + 4096² JPEG, checked and packed together."""
    folder = _shared("bali-mask")
    files = {
        f"models/{p.name}": p.read_bytes() for p in folder.iterdir() if p.suffix in (".gltf", ".bin", ".jpg")
    }
    scene = {
        "title": "Mask",
        "languages": ["vi"],
        "model": {"file": "models/mask-gltf-2.0_separated-valid.gltf"},
    }
    files["scene.json"] = json.dumps(scene).encode()
    response = upload(client, world.dev_a, make_zip(files, zipfile.ZIP_STORED))
    assert response.status_code == 202, response.get_json()
    with services.session_factory() as session:
        model = session.get(AssetVersion, 1)
        assert model is not None and model.filename.endswith(".zip")
        packed = zipfile.ZipFile(io.BytesIO(services.storage.read_bytes(model.storage_key)))
        assert sorted(packed.namelist()) == sorted(files.keys() - {"scene.json"})


def test_real_obj_with_material_and_spaced_texture_name_is_accepted(
    client: FlaskClient, world: World
) -> None:
    """trimesh's fuze bottle (MIT): its MTL names 'fuze uv.jpg', with a space."""
    folder = _shared("fuze-trimesh")
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    files["scene.json"] = json.dumps(
        {"title": "Fuze", "languages": ["vi"], "model": {"file": "fuze.obj"}}
    ).encode()
    assert upload(client, world.dev_a, make_zip(files)).status_code == 202


def test_real_ply_scan_is_accepted(client: FlaskClient, world: World) -> None:
    """The 3DHOP gargoyle (GPL-3.0, so read from the shared data, not copied): binary PLY, 50,000 faces."""
    scan = _shared("gargoyle-3dhop") / "gargo.ply"
    scene = {"title": "Gargoyle", "languages": ["vi"], "model": {"file": "gargo.ply"}}
    files = {"gargo.ply": scan.read_bytes(), "scene.json": json.dumps(scene).encode()}
    assert upload(client, world.dev_a, make_zip(files)).status_code == 202


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_hostile_bundle_is_refused_precisely_and_nothing_is_stored(
    case: Hostile, client: FlaskClient, services: Services, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object) -> None:
        raise AssertionError(f"the server tried to connect to {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    before = row_counts(services)
    response = upload(client, world.dev_a, case.body(), content_type=case.content_type)
    assert response.status_code == case.status, response.get_json()
    assert response.content_type == "application/problem+json"
    errors = response.get_json()["errors"]
    assert any(e["file"] == case.file and case.problem in e["problem"] for e in errors), errors
    assert stored_keys(services) == []
    assert row_counts(services) == before


def test_hostile_table_has_at_least_25_cases() -> None:
    assert len({case.id for case in HOSTILE}) >= 25


def test_new_version_of_a_scene_gets_the_next_number(client: FlaskClient, world: World) -> None:
    first = upload(client, world.dev_a, make_zip(bundle_files())).get_json()
    files = bundle_files(title="Tháp, bản 2")
    files["models/tower.glb"] = box_glb()
    response = client.post(
        f"/api/v1/scenes/{first['scene']['id']}/versions",
        data=make_zip(files),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code == 202
    assert response.get_json()["version"]["number"] == 2
    # The scene's title is what curators reviewed; a draft does not change it.
    assert response.get_json()["scene"]["title"] == "Tháp Phước Duyên"

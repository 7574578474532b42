"""Large files sent beside the bundle: reserve, stream in chunks with the size enforced, then reference."""

from __future__ import annotations

import hashlib
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask.testing import FlaskClient

from ar_service.bundles.archive import CHUNK_BYTES
from ar_service.models import AssetVersion
from ar_service.services import Services
from tests.api.bundles import box_glb, bundle_files, make_zip
from tests.api.conftest import World, bearer


class RecordingStream(io.BytesIO):
    """A request body that remembers how much the server asked for at once."""

    largest_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.largest_read = max(self.largest_read, count)
        return count


def _reserve(
    client: FlaskClient, token: str, size: int, site: str = "thien-mu", name: str = "scan.glb"
) -> Any:
    return client.post(
        "/api/v1/uploads", json={"site": site, "filename": name, "bytes": size}, headers=bearer(token)
    )


def _scene_with_model(ref: str) -> bytes:
    files = bundle_files(model={"file": ref})
    del files["models/tower.glb"]
    return make_zip(files)


def test_large_model_goes_through_an_upload_then_a_bundle_names_it(
    client: FlaskClient, services: Services, world: World
) -> None:
    glb = box_glb()
    # Pad the GLB's JSON chunk with spaces (allowed, glTF 2.0 §4.4.3.1) to make it large.
    padding = 3 * 1024 * 1024
    head_json = glb[20 : 20 + int.from_bytes(glb[12:16], "little")] + b" " * padding
    rest = glb[20 + int.from_bytes(glb[12:16], "little") :]
    big = (
        b"glTF"
        + (2).to_bytes(4, "little")
        + (20 + len(head_json) + len(rest)).to_bytes(4, "little")
        + len(head_json).to_bytes(4, "little")
        + b"JSON"
        + head_json
        + rest
    )
    ticket = _reserve(client, world.dev_a, len(big))
    assert ticket.status_code == 201, ticket.get_json()
    send = ticket.get_json()["upload"]
    assert send["method"] == "PUT"
    body = RecordingStream(big)
    sent = client.put(
        send["url"], input_stream=body, headers=bearer(world.dev_a) | {"Content-Length": str(len(big))}
    )
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["sha256"] == hashlib.sha256(big).hexdigest()
    assert 0 < body.largest_read <= CHUNK_BYTES < len(big)
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=_scene_with_model(ticket.get_json()["ref"]),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code == 202, response.get_json()
    with services.session_factory() as session:
        model = session.get(AssetVersion, 1)
        assert model is not None
        assert model.sha256 == hashlib.sha256(big).hexdigest() and model.filename == "scan.glb"


def test_content_length_other_than_announced_is_refused(client: FlaskClient, world: World) -> None:
    ticket = _reserve(client, world.dev_a, 1000).get_json()
    response = client.put(ticket["upload"]["url"], data=bytes(5000), headers=bearer(world.dev_a))
    assert response.status_code == 400
    assert "5000" in response.get_json()["detail"]


def test_chunked_body_longer_than_announced_is_cut_off_and_leaves_no_file(
    client: FlaskClient, services: Services, world: World
) -> None:
    ticket = _reserve(client, world.dev_a, 1000).get_json()
    response = client.put(
        ticket["upload"]["url"],
        input_stream=io.BytesIO(bytes(3 * CHUNK_BYTES)),
        headers=bearer(world.dev_a) | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert "more than the announced 1000 bytes" in response.get_json()["detail"]
    uploads = services.settings.instance_path / "uploads"
    assert [p for p in uploads.rglob("*") if p.is_file()] == []


def test_upload_bigger_than_the_limit_is_refused_at_reservation(client: FlaskClient, world: World) -> None:
    response = _reserve(client, world.dev_a, 10**12)
    assert response.status_code == 413
    assert "uploads must be 1 to" in response.get_json()["detail"]


def test_upload_is_reserved_only_on_sites_of_the_token(client: FlaskClient, world: World) -> None:
    assert _reserve(client, world.dev_b, 100).status_code == 403


def test_upload_refuses_paths_and_unknown_types(client: FlaskClient, world: World) -> None:
    for name in ("../x.glb", "models/x.glb", "x.exe"):
        response = _reserve(client, world.dev_a, 100, name=name)
        assert response.status_code == 400, name


def test_upload_refuses_names_no_filesystem_holds(client: FlaskClient, world: World) -> None:
    long = _reserve(client, world.dev_a, 100, name="ệ" * 96 + ".glb")
    assert long.status_code == 400
    assert "292 bytes in UTF-8 (at most 240)" in long.get_json()["detail"]
    # An unpaired surrogate can only arrive escaped: json= would refuse to encode it.
    body = b'{"site": "thien-mu", "filename": "\\ud800.glb", "bytes": 10}'
    lone = client.post("/api/v1/uploads", data=body, headers=bearer(world.dev_a))
    assert lone.status_code == 400
    assert "unpaired surrogate" in lone.get_json()["detail"]


class SlowStream(io.BytesIO):
    """A request body that arrives a chunk at a time, so that transfers overlap."""

    def readinto(self, buffer: Any) -> int:
        time.sleep(0.05)
        return super().readinto(memoryview(buffer)[:CHUNK_BYTES])


def test_simultaneous_transfers_of_one_upload_store_one_file_whole(
    client: FlaskClient, services: Services, world: World
) -> None:
    size = 4 * CHUNK_BYTES
    ticket = _reserve(client, world.dev_a, size).get_json()
    bodies = [bytes([letter]) * size for letter in b"ABCD"]

    def send(body: bytes) -> Any:
        headers = bearer(world.dev_a) | {"Content-Length": str(size)}
        return client.put(ticket["upload"]["url"], input_stream=SlowStream(body), headers=headers)

    with ThreadPoolExecutor(len(bodies)) as pool:
        answers = list(pool.map(send, bodies))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    done = next(a for a in answers if a.status_code == 201)
    stored = next((services.settings.instance_path / "uploads").rglob("scan.glb")).read_bytes()
    assert done.get_json()["sha256"] == hashlib.sha256(stored).hexdigest()
    assert stored in bodies
    assert all(
        "in progress" in a.get_json()["detail"] or "in full" in a.get_json()["detail"]
        for a in answers
        if a.status_code == 409
    )


def test_another_token_cannot_send_the_bytes(client: FlaskClient, world: World) -> None:
    ticket = _reserve(client, world.dev_a, 4).get_json()
    response = client.put(ticket["upload"]["url"], data=b"glTF", headers=bearer(world.curator))
    assert response.status_code == 403


def test_tampered_upload_id_is_unknown(client: FlaskClient, world: World) -> None:
    ticket = _reserve(client, world.dev_a, 4).get_json()
    response = client.put(ticket["upload"]["url"] + "x", data=b"glTF", headers=bearer(world.dev_a))
    assert response.status_code == 404


def test_bundle_naming_an_upload_never_sent_is_refused(
    client: FlaskClient, services: Services, world: World
) -> None:
    ticket = _reserve(client, world.dev_a, 4).get_json()
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=_scene_with_model(ticket["ref"]),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code == 400
    assert any("never sent" in e["problem"] for e in response.get_json()["errors"])
    assert list(services.storage.iter_keys()) == []


def test_upload_of_another_site_cannot_be_used(client: FlaskClient, world: World) -> None:
    ticket = _reserve(client, world.curator, 4, site="tu-duc").get_json()
    client.put(ticket["upload"]["url"], data=b"glTF", headers=bearer(world.curator))
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=_scene_with_model(ticket["ref"]),
        headers=bearer(world.curator),
        content_type="application/zip",
    )
    assert response.status_code == 400
    assert any("another site" in e["problem"] for e in response.get_json()["errors"])


def test_uploaded_file_is_checked_like_a_bundle_file(client: FlaskClient, world: World) -> None:
    ticket = _reserve(client, world.dev_a, 12).get_json()
    client.put(ticket["upload"]["url"], data=b"MZ" + bytes(10), headers=bearer(world.dev_a))
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=_scene_with_model(ticket["ref"]),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code == 400
    problems = json.dumps(response.get_json()["errors"])
    assert "scan.glb" in problems and "bad GLB magic" in problems


def test_interrupted_upload_resumes_from_the_bytes_received(client: FlaskClient, world: World) -> None:
    data = bytes(range(256)) * 12
    ticket = _reserve(client, world.dev_a, len(data)).get_json()
    url, auth = ticket["upload"]["url"], bearer(world.dev_a)
    first = client.put(url, data=data[:1000], headers=auth | {"Content-Range": f"bytes 0-999/{len(data)}"})
    assert first.status_code == 202 and first.get_json()["received"] == 1000
    assert client.get(url, headers=auth).get_json() == first.get_json()
    skipped = client.put(
        url, data=data[2000:], headers=auth | {"Content-Range": f"bytes 2000-3071/{len(data)}"}
    )
    assert skipped.status_code == 409 and "resume from byte 1000" in skipped.get_json()["detail"]
    rest = client.put(url, data=data[1000:], headers=auth | {"Content-Range": f"bytes 1000-3071/{len(data)}"})
    assert rest.status_code == 201
    assert rest.get_json()["complete"] and rest.get_json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert client.put(url, data=data, headers=auth).status_code == 409

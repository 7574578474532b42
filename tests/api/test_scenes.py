"""Scenes through the API: scope of tokens, listing, review submission, previews, jobs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, text

from ar_service.models import ApiToken, SceneState, SceneVersion, hash_token
from ar_service.services import Services
from tests.api.bundles import bundle_files, make_zip
from tests.api.conftest import World, bearer


def _upload(client: FlaskClient, token: str, slug: str = "thien-mu") -> dict[str, Any]:
    response = client.post(
        f"/api/v1/sites/{slug}/scenes",
        data=make_zip(bundle_files()),
        headers=bearer(token),
        content_type="application/zip",
    )
    assert response.status_code == 202, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "send an API token"),
        ({"Authorization": "Bearer huear_not-a-real-token"}, "unknown, revoked"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "send an API token"),
    ],
)
def test_requests_without_a_valid_token_get_401(
    client: FlaskClient, world: World, headers: dict[str, str], detail: str
) -> None:
    for method, url in (
        ("get", "/api/v1/scenes"),
        ("post", "/api/v1/sites/thien-mu/scenes"),
        ("get", "/api/v1/jobs/1"),
    ):
        response = getattr(client, method)(url, headers=headers)
        assert response.status_code == 401
        assert detail in response.get_json()["detail"]


def test_revoked_token_gets_401(client: FlaskClient, services: Services, world: World) -> None:
    with services.session_factory.begin() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(world.dev_a)))
        assert token is not None
        token.revoked_at = dt.datetime.now(dt.UTC)
    assert client.get("/api/v1/scenes", headers=bearer(world.dev_a)).status_code == 401


def test_developer_reaches_only_sites_of_their_token(client: FlaskClient, world: World) -> None:
    created = _upload(client, world.dev_a)
    scene_id = created["scene"]["id"]
    assert (
        client.post(
            "/api/v1/sites/thien-mu/scenes",
            data=b"x",
            headers=bearer(world.dev_b),
            content_type="application/zip",
        ).status_code
        == 403
    )
    for url in (f"/api/v1/scenes/{scene_id}", f"/api/v1/scenes/{scene_id}/versions/1", created["jobs"][0]):
        assert client.get(url, headers=bearer(world.dev_b)).status_code == 403
        assert client.get(url, headers=bearer(world.curator)).status_code == 200
        assert client.get(url, headers=bearer(world.admin)).status_code == 200
    assert (
        client.post(f"/api/v1/scenes/{scene_id}/versions/1/submit", headers=bearer(world.dev_b)).status_code
        == 403
    )
    assert client.get("/api/v1/scenes", headers=bearer(world.dev_b)).get_json()["scenes"] == []
    listed = client.get("/api/v1/scenes", headers=bearer(world.dev_a)).get_json()["scenes"]
    assert [scene["id"] for scene in listed] == [scene_id]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/scenes/999",
        "/api/v1/scenes/999/versions/1",
        "/api/v1/jobs/999",
        "/api/v1/jobs/99999999999999999999999",
        "/api/v1/scenes/9223372036854775808",
        "/api/v1/no-such-route",
    ],
)
def test_unknown_ids_get_404_problem(client: FlaskClient, world: World, url: str) -> None:
    response = client.get(url, headers=bearer(world.curator))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_unknown_site_upload_gets_404(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/sites/nowhere/scenes",
        data=make_zip(bundle_files()),
        headers=bearer(world.admin),
        content_type="application/zip",
    )
    assert response.status_code == 404
    assert "nowhere" in response.get_json()["detail"]


def test_scene_shows_versions_with_files_and_review_comment(
    client: FlaskClient, services: Services, world: World
) -> None:
    scene_id = _upload(client, world.dev_a)["scene"]["id"]
    with services.session_factory.begin() as session:
        version = session.scalar(select(SceneVersion).where(SceneVersion.scene_id == scene_id))
        assert version is not None
        version.review_comment = "Tháp nghiêng quá; please level the model."
    scene = client.get(f"/api/v1/scenes/{scene_id}", headers=bearer(world.dev_a)).get_json()
    assert scene["versions"][0]["review_comment"] == "Tháp nghiêng quá; please level the model."
    detail = client.get(f"/api/v1/scenes/{scene_id}/versions/1", headers=bearer(world.dev_a)).get_json()
    assert detail["model"]["filename"] == "tower.glb" and len(detail["model"]["sha256"]) == 64
    assert set(detail["narration"]) == {"vi", "en"}
    assert sorted(job["kind"] for job in detail["jobs"]) == ["marker.compile", "model.process"]


def test_submit_moves_a_draft_to_review_once(client: FlaskClient, world: World) -> None:
    scene_id = _upload(client, world.dev_a)["scene"]["id"]
    url = f"/api/v1/scenes/{scene_id}/versions/1/submit"
    response = client.post(url, headers=bearer(world.dev_a))
    assert response.status_code == 200
    assert response.get_json()["state"] == SceneState.IN_REVIEW
    again = client.post(url, headers=bearer(world.dev_a))
    assert again.status_code == 409
    assert "only a draft can be submitted" in again.get_json()["detail"]


def test_preview_link_shows_the_unpublished_version_until_it_expires(
    app: Flask, client: FlaskClient, world: World
) -> None:
    scene_id = _upload(client, world.dev_a)["scene"]["id"]
    response = client.post(
        f"/api/v1/scenes/{scene_id}/versions/1/preview", json={"expires_in": 600}, headers=bearer(world.dev_a)
    )
    assert response.status_code == 200
    url = response.get_json()["url"]
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Chùa Thiên Mụ" in html and "Tháp Phước Duyên" in html
    assert page.headers["Cache-Control"] == "private, no-store"
    manifest = client.get(url + "/scene.json?lang=en").get_json()
    assert manifest["scene"]["annotations"][0]["title"] == "Phuoc Duyen tower"
    # Tourists still see nothing: the version is a draft.
    assert client.get("/api/v1/sites/thien-mu/scene").get_json()["scene"] is None
    with app.app_context():
        signer = URLSafeSerializer(app.config["SECRET_KEY"], salt="hue-ar-preview")
        expired = signer.dumps([1, int(dt.datetime.now(dt.UTC).timestamp()) - 1])
    assert client.get(f"/preview/{expired}").status_code == 404
    assert client.get(url[:-3] + "xyz").status_code == 404


def test_preview_refuses_bad_expiry(client: FlaskClient, world: World) -> None:
    scene_id = _upload(client, world.dev_a)["scene"]["id"]
    response = client.post(
        f"/api/v1/scenes/{scene_id}/versions/1/preview",
        json={"expires_in": 10**9},
        headers=bearer(world.dev_a),
    )
    assert response.status_code == 400
    assert "expires_in" in response.get_json()["detail"]


def test_tokens_are_never_stored_or_logged_in_clear(
    client: FlaskClient, services: Services, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # SQL statements with their parameters too: the token lookup must only ever carry the hash.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    _upload(client, world.dev_a)
    client.get("/api/v1/scenes", headers=bearer(world.dev_a))
    client.get("/api/v1/scenes", headers=bearer(world.dev_a + "x"))
    clear = (world.dev_a, world.dev_b, world.curator, world.admin)
    assert hash_token(world.dev_a) in caplog.text, "the lookup was not logged, so this check proves nothing"
    for token in clear:
        assert token not in caplog.text
        assert token[len("huear_") :] not in caplog.text
    with services.engine.connect() as connection:
        for table in ("api_tokens", "audit_log", "users", "jobs"):
            dump = repr(connection.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608 -- fixed names
            for token in clear:
                assert token[len("huear_") :] not in dump
        hashes = connection.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert sorted(hashes) == sorted(hash_token(token) for token in clear)


def test_uploaded_scene_reaches_tourists_only_once_a_curator_publishes_it(
    client: FlaskClient, services: Services, world: World
) -> None:
    files = bundle_files()
    scene_id = _upload(client, world.dev_a)["scene"]["id"]
    client.post(f"/api/v1/scenes/{scene_id}/versions/1/submit", headers=bearer(world.dev_a))
    assert client.get("/api/v1/sites/thien-mu/scene").get_json()["scene"] is None
    # The curator's side (the /admin review queue) approves and publishes: the same state moves.
    with services.session_factory.begin() as session:
        version = session.scalar(select(SceneVersion).where(SceneVersion.scene_id == scene_id))
        assert version is not None and version.state is SceneState.IN_REVIEW
        version.move_to(SceneState.APPROVED)
        version.move_to(SceneState.PUBLISHED)
        version.scene.published_version_id = version.id
    manifest = client.get("/api/v1/sites/thien-mu/scene?lang=en").get_json()
    assert manifest["scene"]["version"] == 1
    assert manifest["scene"]["annotations"][0]["title"] == "Phuoc Duyen tower"
    with client.get(manifest["scene"]["audio"]["url"]) as audio:
        assert audio.status_code == 200 and audio.data == files["audio/en.mp3"]
    state = client.get(f"/api/v1/scenes/{scene_id}", headers=bearer(world.dev_a)).get_json()
    assert state["published_version"] == 1 and state["versions"][0]["state"] == "published"

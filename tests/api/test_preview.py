"""Preview links: only a token this server signed for ``[version id, expiry]`` shows a version."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer

from ar_service.models import Scene, SceneVersion, Site
from ar_service.models.base import MAX_ID
from ar_service.services import Services
from ar_service.settings import Settings
from tests.conftest import embedded_settings

NOT_VALID = "this preview link is not valid"
LATER = int(dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp())


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The embedded defaults on SQLite, and again on PostgreSQL where it is up."""
    # Off SQLite the service needs its key given, as in production.
    return embedded_settings(tmp_path / "instance", database_url=database_url, secret_key="test")


@pytest.fixture
def draft_id(services: Services) -> int:
    with services.session_factory.begin() as session:
        site = Site(slug="thien-mu", code="THM7K", names={"vi": "Chùa Thiên Mụ"}, descriptions={})
        session.add(site)
        session.flush()
        scene = Scene(site_id=site.id, title="Pagoda")
        version = SceneVersion(scene=scene, number=1)
        session.add(version)
        session.flush()
        return version.id


def _signed(app: Flask, payload: Any) -> str:
    with app.app_context():
        return str(URLSafeSerializer(app.config["SECRET_KEY"], salt="hue-ar-preview").dumps(payload))


def test_a_signed_token_for_an_existing_version_shows_it(
    app: Flask, client: FlaskClient, draft_id: int
) -> None:
    token = _signed(app, [draft_id, LATER])
    assert client.get(f"/preview/{token}").status_code == 200
    manifest = client.get(f"/preview/{token}/scene.json")
    assert manifest.status_code == 200
    assert manifest.get_json()["scene"]["version"] == 1


def test_the_preview_page_speaks_the_asked_language_like_the_site_page(
    app: Flask, client: FlaskClient, draft_id: int
) -> None:
    token = _signed(app, [draft_id, LATER])
    for asked, words in (("ko", "AR 시작"), ("vi", "Bắt đầu AR"), ("fr-FR", "Lancer la RA")):
        page = client.get(f"/preview/{token}?lang={asked}").get_data(as_text=True)
        assert f'data-lang="{asked[:2]}"' in page
        strings = re.search(r"data-strings='([^']*)'", page)
        assert strings is not None
        assert json.loads(html.unescape(strings.group(1)))["start_ar"] == words, asked


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([1, "abc"], id="string-expiry"),
        pytest.param(["1", LATER], id="string-id"),
        pytest.param([1, 4102444800.5], id="float-expiry"),
        pytest.param([1, float("inf")], id="infinite-expiry"),
        pytest.param([1, float("nan")], id="nan-expiry"),
        pytest.param([1.0, LATER], id="float-id"),
        pytest.param([True, LATER], id="bool-id"),
        pytest.param([1, True], id="bool-expiry"),
        pytest.param([[1], LATER], id="nested-id"),
        pytest.param([1, [LATER]], id="nested-expiry"),
        pytest.param([MAX_ID + 1, LATER], id="id-beyond-postgresql-integer"),
        pytest.param([2**63, LATER], id="id-beyond-64-bits"),
        pytest.param([10**30, LATER], id="id-far-beyond"),
        pytest.param([-1, LATER], id="negative-id"),
        pytest.param([0, LATER], id="zero-id"),
        pytest.param([1], id="one-element"),
        pytest.param([1, LATER, 3], id="three-elements"),
        pytest.param([], id="empty-list"),
        pytest.param({"version": 1, "expires": LATER}, id="dict"),
        pytest.param("1", id="string"),
        pytest.param(None, id="null"),
    ],
)
def test_a_signed_token_of_any_other_shape_is_a_404_not_a_500(
    app: Flask, client: FlaskClient, draft_id: int, payload: Any
) -> None:
    token = _signed(app, payload)
    page = client.get(f"/preview/{token}")
    assert page.status_code == 404
    assert NOT_VALID in page.get_data(as_text=True)
    manifest = client.get(f"/preview/{token}/scene.json")
    assert manifest.status_code == 404
    assert manifest.get_json()["detail"].startswith(NOT_VALID)


def test_the_manifest_route_answers_its_errors_as_problem_json(
    app: Flask, client: FlaskClient, draft_id: int
) -> None:
    for token in ("not-a-token", _signed(app, [draft_id, 0]), _signed(app, [MAX_ID, LATER])):
        response = client.get(f"/preview/{token}/scene.json")
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"
        assert response.get_json()["status"] == 404
    # The page itself stays a page for people.
    page = client.get(f"/preview/{_signed(app, [draft_id, 0])}")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "expired" in page.get_data(as_text=True)

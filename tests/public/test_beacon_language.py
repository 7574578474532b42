"""A beacon's language is counted as one of the served languages, never as a new label."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ar_service.models import ScanEvent
from ar_service.services import Services
from ar_service.settings import LANGUAGES
from tests.public.conftest import Published


def send(client: FlaskClient, language: Any, accept_language: str | None = None) -> int:
    """A beacon as the viewer sends it (sendBeacon: text/plain); ``language`` ``...`` leaves the field out."""
    body: dict[str, Any] = {"site": "thien-mu", "events": [{"event": "page"}]}
    if language is not ...:
        body["language"] = language
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    response = client.post("/api/v1/beacons", data=json.dumps(body), headers=headers)
    return response.status_code


def counted(services: Services) -> list[str]:
    with services.session_factory() as session:
        return list(session.scalars(select(ScanEvent.language).order_by(ScanEvent.id)))


@pytest.mark.parametrize(
    ("language", "label"),
    [("vi", "vi"), ("en-US", "en"), ("ZH-Hant-TW", "zh"), ("fr_FR", "fr"), (" ko ", "ko"), ("JA", "ja")],
)
def test_a_served_language_is_counted_without_its_subtags(
    client: FlaskClient, services: Services, published: Published, language: str, label: str
) -> None:
    assert send(client, language, accept_language="en") == 204
    assert counted(services) == [label]


@pytest.mark.parametrize("language", ["de", "de-DE", "english", "*", "x-klingon", "e", "", None, ...])
def test_another_or_no_language_counts_as_the_negotiated_one(
    client: FlaskClient, services: Services, published: Published, language: Any
) -> None:
    assert send(client, language, accept_language="de-DE, fr;q=0.8") == 204
    assert send(client, language) == 204  # nothing negotiated: the site's default, Vietnamese
    assert counted(services) == ["fr", "vi"]


@pytest.mark.parametrize("language", [123, True, ["en"], {"tag": "en"}])
def test_a_language_that_is_not_a_string_is_refused(
    client: FlaskClient, services: Services, published: Published, language: Any
) -> None:
    response = client.post(
        "/api/v1/beacons", json={"site": "thien-mu", "event": "page", "language": language}
    )
    assert response.status_code == 400
    assert '"language" must be a language tag' in response.get_json()["detail"]
    assert counted(services) == []


def test_the_statistics_hold_only_served_languages(
    client: FlaskClient, services: Services, published: Published
) -> None:
    for language in ("en-GB", "pt-BR", "tlh", "zh-CN", "12345678", "vi-VN"):
        assert send(client, language, accept_language="ko") == 204
    assert set(counted(services)) <= set(LANGUAGES)
    assert counted(services) == ["en", "ko", "ko", "zh", "ko", "vi"]

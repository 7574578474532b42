"""Generated responses are compressed only in a coding the client accepts (RFC 9110 §12.5.3)."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask.testing import FlaskClient

from tests.public.conftest import Published

GENERATED = pytest.mark.parametrize(
    "url",
    ["/s/thien-mu?lang=en", "/api/v1/sites/thien-mu/scene?lang=en", "/api/v1/openapi.json"],
    ids=["page", "manifest", "api"],
)


def decoded(data: bytes, coding: str | None) -> bytes:
    if coding == "br":
        return bytes(brotli.decompress(data))
    if coding == "gzip":
        return gzip.decompress(data)
    return data


@GENERATED
@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("br;q=0, gzip", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*;q=0", None),
        ("br;q=0", None),
        ("gzip;q=0.5, br;q=0.8", "br"),
        ("gzip;q=0.8, br;q=0.5", "gzip"),
        ("br;q=0, *", "gzip"),
        ("gzip;q=0, *;q=0.3", "br"),
        ("BR;Q=0, GZIP", "gzip"),
        ("br, gzip", "br"),
    ],
)
def test_the_coding_is_the_best_one_accepted(
    client: FlaskClient, published: Published, url: str, accept_encoding: str, coding: str | None
) -> None:
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    response = client.get(url, headers={"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == coding
    assert decoded(response.data, coding) == plain.data
    assert "Accept-Encoding" in response.headers["Vary"]


@GENERATED
def test_refusing_identity_too_still_gets_an_answer(
    client: FlaskClient, published: Published, url: str
) -> None:
    response = client.get(url, headers={"Accept-Encoding": "identity;q=0"})
    assert response.status_code == 200

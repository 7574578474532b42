"""Conditional GETs (RFC 9110 §13): If-Match on pages, manifests and files, with and without compression."""

from __future__ import annotations

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from ar_service.conditional import make_conditional
from tests.public.conftest import Published

PAGE = "/s/thien-mu?lang=en"
MANIFEST = "/api/v1/sites/thien-mu/scene?lang=en"
GENERATED = pytest.mark.parametrize("url", [PAGE, MANIFEST], ids=["page", "manifest"])


def fetch(client: FlaskClient, url: str, method: str = "GET", **headers: str) -> TestResponse:
    response = client.open(url, method=method, headers=headers)
    response.get_data()
    response.close()
    return response


def assert_precondition_failed(response: TestResponse) -> None:
    """412 with nothing a cache could keep, or mistake for the resource."""
    assert response.status_code == 412
    assert response.data == b""
    assert response.headers["Cache-Control"] == "no-store"
    for header in ("ETag", "Last-Modified", "Content-Encoding", "Expires"):
        assert header not in response.headers


@GENERATED
def test_if_match_star_gets_the_resource(client: FlaskClient, published: Published, url: str) -> None:
    plain = fetch(client, url)
    response = fetch(client, url, **{"If-Match": "*"})
    assert response.status_code == 200
    assert response.data == plain.data and response.headers["ETag"] == plain.headers["ETag"]
    compressed = fetch(client, url, **{"If-Match": "*", "Accept-Encoding": "br"})
    assert compressed.status_code == 200
    assert brotli.decompress(compressed.data) == plain.data


@GENERATED
def test_if_match_with_the_etag_received_gets_the_resource(
    client: FlaskClient, published: Published, url: str
) -> None:
    plain = fetch(client, url)
    again = fetch(client, url, **{"If-Match": plain.headers["ETag"]})
    assert again.status_code == 200 and again.data == plain.data
    listed = fetch(client, url, **{"If-Match": f'"other", {plain.headers["ETag"]}'})
    assert listed.status_code == 200 and listed.data == plain.data


@GENERATED
def test_if_match_with_the_etag_of_the_compressed_body_gets_it(
    client: FlaskClient, published: Published, url: str
) -> None:
    first = fetch(client, url, **{"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br" and first.headers["ETag"].endswith(':br"')
    again = fetch(client, url, **{"Accept-Encoding": "br", "If-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]


@GENERATED
def test_if_match_with_another_etag_is_412_and_uncacheable(
    client: FlaskClient, published: Published, url: str
) -> None:
    assert_precondition_failed(fetch(client, url, **{"If-Match": '"not-this-one"'}))
    assert_precondition_failed(fetch(client, url, **{"If-Match": '"not-this-one"', "Accept-Encoding": "br"}))
    assert_precondition_failed(fetch(client, url, "HEAD", **{"If-Match": '"not-this-one"'}))


@GENERATED
def test_if_match_compares_strongly_so_a_weak_tag_never_matches(
    client: FlaskClient, published: Published, url: str
) -> None:
    current = fetch(client, url).headers["ETag"]
    assert_precondition_failed(fetch(client, url, **{"If-Match": f"W/{current}"}))


@GENERATED
def test_if_none_match_is_still_evaluated_after_a_true_if_match(
    client: FlaskClient, published: Published, url: str
) -> None:
    current = fetch(client, url).headers["ETag"]
    response = fetch(client, url, **{"If-Match": "*", "If-None-Match": current})
    assert response.status_code == 304
    compressed = fetch(client, url, **{"Accept-Encoding": "br"}).headers["ETag"]
    again = fetch(
        client, url, **{"Accept-Encoding": "br", "If-Match": compressed, "If-None-Match": compressed}
    )
    assert again.status_code == 304


def test_stored_files_honour_if_match(client: FlaskClient, published: Published) -> None:
    url = f"/files/{published.glb_key}"
    star = fetch(client, url, **{"If-Match": "*"})
    assert star.status_code == 200 and star.data == published.glb
    assert fetch(client, url, **{"If-Match": star.headers["ETag"]}).data == published.glb
    part = fetch(client, url, **{"If-Match": "*", "Range": "bytes=4-11"})
    assert part.status_code == 206 and part.data == published.glb[4:12]
    assert_precondition_failed(fetch(client, url, **{"If-Match": '"not-this-one"'}))


def test_a_weak_current_etag_never_satisfies_if_match(app: Flask) -> None:
    for asked in ('"v1"', 'W/"v1"', "*"):
        with app.test_request_context(headers={"If-Match": asked}) as context:
            response = Response(b"body", headers={"Cache-Control": "public, max-age=60"})
            response.set_etag("v1", weak=True)
            make_conditional(response, context.request.environ)
            # "*" asks only that a representation exists; a list asks for a strong match.
            assert response.status_code == (200 if asked == "*" else 412)

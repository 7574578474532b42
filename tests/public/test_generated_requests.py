"""Generated paths, query strings and request headers on the public pages, stored files and read
API: a page, a file or a 4xx, never a 5xx (hypothesis, on a published site's real stored files, so
ranges and validators meet real bodies)."""

from __future__ import annotations

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.public.conftest import Published

PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)  # what a header value may hold
HEADERS = st.dictionaries(
    st.sampled_from(
        [
            *("Range", "If-Range", "If-None-Match", "If-Match", "If-Modified-Since", "Accept-Language"),
            *("Accept-Encoding", "Accept", "Save-Data", "User-Agent", "Cookie", "Origin", "Referer"),
        ]
    ),
    st.one_of(
        st.text(alphabet=PRINTABLE, max_size=40),
        st.sampled_from(
            [
                *("bytes=0-", "bytes=-1", "bytes=5-2", "bytes=0-0,2-3", "bytes=99999999999999999999-"),
                *("bytes=-0", "items=0-1", "*", '"x"', 'W/"x"', "br;q=0", "gzip;q=0, *;q=0", "*;q=abc"),
                *("vi-VN,fr;q=0.5", "zh-Hant-TW", "x-klingon", "Thu, 01 Jan 1970 00:00:00 GMT", "on"),
            ]
        ),
    ),
    max_size=4,
)
QUERY = st.dictionaries(
    st.sampled_from(["lang", "v", "code", "q", "page", "mode"]),
    st.one_of(st.text(max_size=20), st.sampled_from(["vi", "fr-FR", "zz", "", "0", "-1", "1e400"])),
    max_size=3,
)
TAIL = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_characters="?#"), max_size=24
)
PATHS = [
    *("/", "/q/{code}", "/q/", "/s/{slug}", "/s/", "/files/{glb}", "/files/", "/static/viewer/"),
    *("/sw.js", "/api/v1/sites", "/api/v1/sites/{slug}/scene", "/api/v1/sites/"),
]


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(path=st.sampled_from(PATHS), tail=TAIL, query=QUERY, headers=HEADERS)
def test_generated_requests_never_give_a_server_error(
    client: FlaskClient,
    published: Published,
    path: str,
    tail: str,
    query: dict[str, str],
    headers: dict[str, str],
) -> None:
    url = path.format(code=published.code, slug=published.slug, glb=published.glb_key)
    if url.endswith("/"):  # an open path: a generated code, slug, file key or file name
        url += tail
    response = client.get(url, query_string=query, headers=headers)
    response.get_data()
    response.close()
    assert response.status_code < 500, (url, query, headers)

"""Hostile ids, choices and texts in the workspace's URLs and forms: a 4xx saying what to fix, not a 500."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient

from ar_service.models import Role
from ar_service.models.base import MAX_ID, parse_id
from tests.admin.conftest import World, sign_in

# One past the largest key (PostgreSQL's INTEGER), and a number beyond any 64-bit integer.
TOO_BIG = (str(MAX_ID + 1), "99999999999999999999")
SITE_FORM = {"slug": "dai-noi", "names-vi": "Đại Nội", "names-en": "Imperial City"}


@pytest.mark.parametrize("ident", [*TOO_BIG, str(MAX_ID)])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/admin/tokens/{}/revoke"),
        ("GET", "/admin/scenes/{}"),
        ("POST", "/admin/scenes/versions/{}/approve"),
        ("GET", "/admin/assets/versions/{}"),
        ("POST", "/admin/assets/versions/{}/licence"),
        ("GET", "/admin/jobs/{}.json"),
        ("POST", "/admin/users/{}/active"),
        ("POST", "/admin/users/{}/reset"),
        ("GET", "/admin/plaques/{}.svg"),
    ],
)
def test_an_id_in_the_url_beyond_any_row_is_not_found(
    client: FlaskClient, world: World, method: str, path: str, ident: str
) -> None:
    token = sign_in(client, Role.ADMIN)
    data = {"csrf_token": token} if method == "POST" else None
    assert client.open(path.format(ident), method=method, data=data).status_code == 404


@pytest.mark.parametrize("text", ["1", str(MAX_ID)])
def test_an_id_field_takes_ascii_digits_from_1_to_the_largest_key(text: str) -> None:
    assert parse_id(text) == int(text)


@pytest.mark.parametrize("text", ["", "0", "-1", "+1", " 1", "1.0", "²", "١", *TOO_BIG])
def test_anything_else_in_an_id_field_is_not_an_id(text: str) -> None:
    with pytest.raises(ValueError, match="id"):
        parse_id(text)


@pytest.mark.parametrize("user_id", TOO_BIG)
def test_a_token_for_a_user_id_beyond_any_row_asks_for_an_active_user(
    client: FlaskClient, world: World, user_id: str
) -> None:
    token = sign_in(client, Role.CURATOR)
    response = client.post("/admin/tokens", data={"csrf_token": token, "name": "ci", "user_id": user_id})
    assert response.status_code == 400
    assert "user_id: choose an active user" in response.get_data(as_text=True)


@pytest.mark.parametrize("site_id", [*TOO_BIG, "²", "one"])
def test_a_token_scoped_to_something_not_a_site_id_names_the_field(
    client: FlaskClient, world: World, site_id: str
) -> None:
    token = sign_in(client, Role.CURATOR)
    form = {"csrf_token": token, "name": "ci", "user_id": world.users[Role.DEVELOPER]}
    response = client.post("/admin/tokens", data={**form, "site_ids": [str(world.site_id), site_id]})
    assert response.status_code == 400
    assert "site_ids: " in response.get_data(as_text=True)


@pytest.mark.parametrize("site_id", TOO_BIG)
def test_an_upload_for_a_site_id_beyond_any_row_asks_for_a_site(
    client: FlaskClient, world: World, site_id: str
) -> None:
    token = sign_in(client, Role.CURATOR)
    form = {"csrf_token": token, "site_id": site_id, "file": (io.BytesIO(b"glTF"), "gate.glb")}
    response = client.post("/admin/assets", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "site_id: choose one of the sites" in response.get_data(as_text=True)


@pytest.mark.parametrize("site_id", TOO_BIG)
def test_a_printed_plaque_for_a_site_id_beyond_any_row_is_not_found(
    client: FlaskClient, world: World, site_id: str
) -> None:
    token = sign_in(client, Role.CURATOR)
    form = {"csrf_token": token, "site_id": site_id, "size": "A4", "printed_on": "2026-11-20"}
    response = client.post("/admin/plaques/printed", data=form)
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)


@pytest.mark.parametrize("ident", TOO_BIG)
def test_pages_ignore_an_id_filter_beyond_any_row(client: FlaskClient, world: World, ident: str) -> None:
    sign_in(client, Role.CURATOR)
    for path in (
        f"/admin/assets/versions/{world.model_version_id}?job={ident}",
        f"/admin/audit?actor={ident}",
        f"/admin/scenes/{world.scene_id}?version={ident}&against={ident}",
    ):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/admin/sites/new", "/admin/sites/ngo-mon"])
def test_a_site_status_that_does_not_exist_lists_the_allowed_ones(
    client: FlaskClient, world: World, path: str
) -> None:
    token = sign_in(client, Role.CURATOR)
    response = client.post(path, data={"csrf_token": token, **SITE_FORM, "status": "bogus"})
    assert response.status_code == 400
    assert "status: choose one of active, retired" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "limit"), [("names-en", 200), ("names-vi", 200), ("descriptions-en", 5000)]
)
def test_a_site_text_over_its_limit_says_how_long_it_may_be(
    client: FlaskClient, world: World, field: str, limit: int
) -> None:
    token = sign_in(client, Role.CURATOR)
    form = {"csrf_token": token, **SITE_FORM}
    assert client.post("/admin/sites/new", data={**form, field: "x" * limit}).status_code == 302
    response = client.post("/admin/sites/ngo-mon", data={**form, field: "x" * (limit + 1)})
    assert response.status_code == 400
    message = f"{field}: {limit + 1} characters; shorten it to at most {limit}"
    assert message in response.get_data(as_text=True)

"""Every /admin route × every kind of visitor, and CSRF on every state-changing form."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from ar_service.models import ApiToken, Role, Site, User
from ar_service.services import Services
from tests.admin.conftest import PASSWORD, World, csrf_token, sign_in

# Routes anyone may reach: the sign-in page itself and signing out.
OPEN = {"admin.login", "admin.logout"}
ADMIN_ONLY = {"admin.users_list", "admin.user_invite", "admin.user_active", "admin.user_reset"}


def _routes(app: Flask, world: World, token_id: int) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every admin rule, with real ids from the world filled in."""
    values: dict[str, Any] = {
        "slug": world.slug,
        "site_id": world.site_id,
        "scene_id": world.scene_id,
        "job_id": world.job_id,
        "user_id": world.users[Role.DEVELOPER],
        "token_id": token_id,
        "kind": "svg",
        "action": "approve",
    }
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        args = {name: values[name] for name in rule.arguments if name != "version_id"}
        if "version_id" in rule.arguments:
            scene_action = rule.endpoint == "admin.scene_action"
            args["version_id"] = world.submitted_id if scene_action else world.model_version_id
        with app.test_request_context():
            path = url_for(rule.endpoint, **args)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, path))
    return routes


@pytest.fixture
def token_id(services: Services, world: World) -> int:
    with services.session_factory.begin() as session:
        owner = session.get(User, world.users[Role.DEVELOPER])
        assert owner is not None
        token, _clear = ApiToken.issue(owner, "matrix", [session.get(Site, world.site_id)])  # type: ignore[list-item]
        session.add(token)
        session.flush()
        return token.id


def _call(client: FlaskClient, method: str, path: str, token: str) -> tuple[int, str]:
    response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
    return response.status_code, response.headers.get("Location", "")


def test_every_admin_route_is_in_the_matrix(app: Flask, world: World, token_id: int) -> None:
    endpoints = {endpoint for endpoint, _method, _path in _routes(app, world, token_id)}
    expected = {
        "admin." + name
        for name in [
            "login",
            "logout",
            "home",
            "sites_list",
            "site_new",
            "site_edit",
            "assets_list",
            "asset_upload",
            "asset_version",
            "asset_licence",
            "job_status",
            "review_queue",
            "scene_detail",
            "scene_action",
            "plaques",
            "plaque_file",
            "plaque_record",
            "users_list",
            "user_invite",
            "user_active",
            "user_reset",
            "tokens_list",
            "token_create",
            "token_revoke",
            "analytics",
            "analytics_csv",
            "audit_log",
        ]
    }
    assert endpoints == expected


def test_anonymous_visitors_are_sent_to_sign_in(
    app: Flask, client: FlaskClient, world: World, token_id: int
) -> None:
    token = csrf_token(client)
    for endpoint, method, path in _routes(app, world, token_id):
        status, location = _call(client, method, path, token)
        if endpoint in OPEN:
            assert status in (200, 302, 401), (endpoint, method, status)
        else:
            assert status == 302 and "/admin/login" in location, (endpoint, method, status, location)


@pytest.mark.parametrize("developer", ["site-a", "site-b"])
def test_developers_are_refused_every_workspace_page(
    app: Flask, client: FlaskClient, services: Services, world: World, token_id: int, developer: str
) -> None:
    """Developer A holds a token for the world's site, developer B none: neither uses the workspace."""
    email = None
    if developer == "site-b":
        email = "developer-b@example.org"
        with services.session_factory.begin() as session:
            other = User(email=email, role=Role.DEVELOPER)
            other.set_password(PASSWORD)
            session.add(other)
    token = sign_in(client, Role.DEVELOPER, email)
    for endpoint, method, path in _routes(app, world, token_id):
        if endpoint in OPEN:
            continue
        status, _ = _call(client, method, path, token)
        assert status == 403, (endpoint, method, status)


@pytest.mark.parametrize("role", [Role.CURATOR, Role.ADMIN])
def test_staff_reach_their_pages_and_curators_not_user_admin(
    app: Flask, client: FlaskClient, world: World, token_id: int, role: Role
) -> None:
    token = sign_in(client, role)
    for endpoint, method, path in _routes(app, world, token_id):
        if endpoint in OPEN:
            continue
        status, location = _call(client, method, path, token)
        if endpoint in ADMIN_ONLY and role == Role.CURATOR:
            assert status == 403, (endpoint, method, status)
            continue
        # Empty forms may be refused as invalid (400) or conflicting (409), never as unauthorised.
        assert status not in (401, 403, 500), (endpoint, method, status)
        assert "/admin/login" not in location, (endpoint, method, location)


def test_every_state_changing_form_needs_its_csrf_token(
    app: Flask, client: FlaskClient, world: World, token_id: int
) -> None:
    sign_in(client, Role.ADMIN)
    posts = [(endpoint, path) for endpoint, method, path in _routes(app, world, token_id) if method == "POST"]
    assert len(posts) >= 12
    for endpoint, path in posts:
        response = client.post(path, data={})
        assert response.status_code == 400, (endpoint, response.status_code)
        assert "CSRF" in response.get_data(as_text=True), endpoint


def test_token_is_shown_once_and_stored_only_as_a_hash(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    page = client.post(
        "/admin/tokens",
        data={
            "csrf_token": token,
            "name": "uploads",
            "user_id": world.users[Role.DEVELOPER],
            "site_ids": world.site_id,
        },
    ).get_data(as_text=True)
    clear = page.split('class="secret">', 1)[1].split("<", 1)[0]
    assert clear.startswith("huear_")
    assert clear not in client.get("/admin/tokens").get_data(as_text=True)
    assert clear not in client.get("/admin/audit").get_data(as_text=True)
    with services.engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("api_tokens", "audit_log")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}")  # noqa: S608 -- fixed names
        )
    assert clear not in dump
    api = client.get(f"/api/v1/sites/{world.slug}/scene", headers={"Authorization": f"Bearer {clear}"})
    assert api.status_code < 500

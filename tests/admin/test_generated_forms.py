"""Generated fields on every workspace page, filter and form, signed in as an admin: a 4xx or a
page, never a 5xx (hypothesis: ids, dates, choices and texts far outside what the forms offer)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ar_service.models import Role
from tests.admin.conftest import World, sign_in

# What a hand-edited form or URL might hold, beside arbitrary text.
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            *("", "0", "-1", "1", "2", "2147483648", "99999999999999999999", "1e9", "nan", "inf", "0x10"),
            *("0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "../../etc/passwd", "\x00", "%00"),
            *("A4", "A3", "Letter", "active", "retired", "admin", "curator", "developer", "vi", "zz"),
            *("thien-mu", "dai-noi", "CC-BY-4.0", "not a licence", "approve", "publish", "rollback"),
        ]
    ),
)
FIELDS = st.sampled_from(
    [
        *("slug", "code", "names-vi", "names-en", "descriptions-vi", "status", "lat", "lon", "email"),
        *("role", "name", "active", "user_id", "site_ids", "site_id", "size", "printed_on"),
        *("location_note", "comment", "published", "licence", "credits", "password", "version"),
        *("against", "from", "to", "action", "actor", "target", "check", "job", "lang", "next"),
    ]
)
PAGES = [
    *("/admin/", "/admin/sites", "/admin/sites/new", "/admin/review", "/admin/assets", "/admin/audit"),
    *("/admin/analytics", "/admin/analytics.csv", "/admin/plaques", "/admin/users", "/admin/tokens"),
    *("/admin/scenes/{scene}", "/admin/assets/versions/{model}", "/admin/jobs/{job}.json"),
    *("/admin/plaques/{site}.pdf", "/admin/plaques/{site}.svg", "/admin/sites/{slug}"),
]
FORMS = [
    *("/admin/sites/new", "/admin/sites/{slug}", "/admin/users", "/admin/users/{curator}/reset"),
    *("/admin/tokens", "/admin/tokens/1/revoke", "/admin/plaques/printed", "/admin/assets"),
    *("/admin/scenes/versions/{submitted}/approve", "/admin/scenes/versions/{submitted}/reject"),
    *("/admin/scenes/versions/{published}/publish", "/admin/scenes/versions/{submitted}/rollback"),
    "/admin/assets/versions/{model}/licence",
]
# The fixtures are made once per test and shared by its examples: the forms change the world as
# they go, which only widens what later examples meet.
GENERATED = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def admin_token(client: FlaskClient, world: World) -> str:
    return sign_in(client, Role.ADMIN)


def _url(template: str, world: World) -> str:
    return template.format(
        scene=world.scene_id,
        model=world.model_version_id,
        job=world.job_id,
        site=world.site_id,
        slug=world.slug,
        curator=world.users[Role.CURATOR],
        submitted=world.submitted_id,
        published=world.published_id,
    )


@GENERATED
@given(page=st.sampled_from(PAGES), query=st.dictionaries(FIELDS, VALUES, max_size=6))
def test_generated_filters_never_give_a_server_error(
    client: FlaskClient, world: World, admin_token: str, page: str, query: dict[str, str]
) -> None:
    response = client.get(_url(page, world), query_string=query)
    response.close()
    assert response.status_code < 500, (page, query)


@GENERATED
@given(form=st.sampled_from(FORMS), fields=st.dictionaries(FIELDS, VALUES, max_size=8))
def test_generated_forms_never_give_a_server_error(
    client: FlaskClient, world: World, admin_token: str, form: str, fields: dict[str, str]
) -> None:
    response = client.post(_url(form, world), data={**fields, "csrf_token": admin_token})
    response.close()
    assert response.status_code < 500, (form, fields)

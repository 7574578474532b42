"""The review workflow through the workspace: tourists see a change only once it is published."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ar_service import workflow
from ar_service.models import AuditLog, Role, SceneState, SceneVersion
from ar_service.services import Services
from tests.admin.conftest import World, sign_in


def tourist_model_hashes(client: FlaskClient, slug: str) -> list[str]:
    """SHA-256 of every model file the public manifest lists, fetched like the viewer does."""
    manifest = client.get(f"/api/v1/sites/{slug}/scene").get_json()
    hashes = []
    for level in manifest["scene"]["models"]:
        with client.get(level["url"]) as response:  # closes the streamed file
            assert response.status_code == 200
            hashes.append(hashlib.sha256(response.get_data()).hexdigest())
    return hashes


def act(client: FlaskClient, token: str, version_id: int, action: str, **form: str) -> int:
    response = client.post(
        f"/admin/scenes/versions/{version_id}/{action}", data={"csrf_token": token, **form}
    )
    return response.status_code


def test_approve_publish_and_roll_back_change_what_tourists_get(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    assert tourist_model_hashes(client, world.slug) == [world.v1_sha256]
    page = client.get(f"/admin/scenes/{world.scene_id}?version={world.submitted_id}").get_data(as_text=True)
    assert "placement.scale" in page and "annotation gate · en · title" in page  # the diff shows both changes
    assert act(client, token, world.submitted_id, "approve", comment="Looks right") == 302
    assert tourist_model_hashes(client, world.slug) == [world.v1_sha256]  # approved is not published
    assert act(client, token, world.submitted_id, "publish") == 302
    assert tourist_model_hashes(client, world.slug) == [world.v2_sha256]
    assert act(client, token, world.published_id, "rollback") == 302
    assert tourist_model_hashes(client, world.slug) == [world.v1_sha256]
    with services.session_factory() as session:
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
        states = {v.number: v.state for v in session.scalars(select(SceneVersion))}
    assert actions == ["scene.approve", "scene.publish", "scene.publish", "scene.rollback"]
    assert states == {1: SceneState.PUBLISHED, 2: SceneState.RETIRED}


def test_reject_needs_a_comment_and_returns_the_version_to_its_developer(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    assert act(client, token, world.submitted_id, "reject", comment="  ") == 400
    assert act(client, token, world.submitted_id, "reject", comment="Marker too dark") == 302
    with services.session_factory() as session:
        version = session.get(SceneVersion, world.submitted_id)
        assert version is not None
        assert (version.state, version.review_comment) == (SceneState.DRAFT, "Marker too dark")


def test_publishing_an_unreviewed_version_is_refused(client: FlaskClient, world: World) -> None:
    token = sign_in(client, Role.CURATOR)
    assert act(client, token, world.submitted_id, "publish") == 409
    assert tourist_model_hashes(client, world.slug) == [world.v1_sha256]


def test_unpublish_leaves_the_site_without_a_scene(client: FlaskClient, world: World) -> None:
    token = sign_in(client, Role.CURATOR)
    assert act(client, token, world.published_id, "unpublish") == 302
    assert client.get(f"/api/v1/sites/{world.slug}/scene").get_json()["scene"] is None


@pytest.mark.parametrize(
    ("window", "shown"),
    [(("2000-01-01T00:00", "2099-01-01T00:00"), True), (("2099-01-01T00:00", "2099-02-01T00:00"), False)],
)
def test_a_publication_window_decides_when_tourists_see_the_scene(
    client: FlaskClient, world: World, window: tuple[str, str], shown: bool
) -> None:
    token = sign_in(client, Role.CURATOR)
    status = act(
        client, token, world.published_id, "schedule", publish_from=window[0], publish_until=window[1]
    )
    assert status == 302
    scene = client.get(f"/api/v1/sites/{world.slug}/scene").get_json()["scene"]
    assert (scene is not None) == shown


def test_a_window_that_ends_before_it_starts_is_refused(client: FlaskClient, world: World) -> None:
    token = sign_in(client, Role.CURATOR)
    status = act(
        client,
        token,
        world.published_id,
        "schedule",
        publish_from="2026-02-01T00:00",
        publish_until="2026-01-01T00:00",
    )
    assert status == 400


def test_a_window_time_with_its_own_offset_keeps_it(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    window = {"publish_from": "2026-03-01T07:00+07:00", "publish_until": "2026-03-02T00:00"}
    assert act(client, token, world.published_id, "schedule", **window) == 302
    with services.session_factory() as session:
        version = session.get(SceneVersion, world.published_id)
        assert version is not None and version.publish_from is not None
        assert version.publish_from.replace(tzinfo=dt.UTC) == dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)


def test_a_move_from_a_page_that_is_out_of_date_is_refused_with_a_reload_hint(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    assert act(client, token, world.submitted_id, "approve") == 302
    page = client.get(f"/admin/scenes/{world.scene_id}?version={world.submitted_id}").get_data(as_text=True)
    assert f'name="published" value="{world.published_id}"' in page, "the page says what it showed"
    with services.session_factory.begin() as session:  # another curator publishes it meanwhile
        workflow.publish(session, world.submitted_id, None)
    response = client.post(
        f"/admin/scenes/versions/{world.submitted_id}/publish",
        data={"csrf_token": token, "published": str(world.published_id)},
    )
    assert response.status_code == 409
    assert "changed after your page was loaded: version 2 is published now;" in response.get_data(
        as_text=True
    )
    assert "reload the page" in response.get_data(as_text=True)
    with services.session_factory() as session:
        publishes = session.scalars(select(AuditLog).where(AuditLog.action == "scene.publish")).all()
    assert len(publishes) == 1

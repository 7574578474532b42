"""The shared workflow functions: legal moves only, and an audit row for each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ar_service import workflow
from ar_service.models import AuditLog, Role, SceneState, SceneVersion
from ar_service.services import Services
from hue_errors import Conflict, InvalidInput, NotFound
from tests.admin.conftest import World


def test_a_rejected_version_is_resubmitted_and_each_move_is_audited(services: Services, world: World) -> None:
    curator, developer = world.users[Role.CURATOR], world.users[Role.DEVELOPER]
    with services.session_factory.begin() as session:
        workflow.reject(session, world.submitted_id, curator, "Captions missing in English")
        workflow.submit(session, world.submitted_id, developer)
        version = workflow.approve(session, world.submitted_id, curator)
        assert (version.state, version.review_comment) == (SceneState.APPROVED, None)
    with services.session_factory() as session:
        rows = [(row.action, row.actor_id) for row in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert rows == [("scene.reject", curator), ("scene.submit", developer), ("scene.approve", curator)]


def test_only_retired_versions_can_be_rolled_back_to(services: Services, world: World) -> None:
    with services.session_factory.begin() as session, pytest.raises(InvalidInput, match="only a retired one"):
        workflow.rollback(session, world.submitted_id, None)


def test_illegal_moves_name_the_allowed_ones(services: Services, world: World) -> None:
    with (
        services.session_factory.begin() as session,
        pytest.raises(Conflict, match="allowed: approved, draft"),
    ):
        workflow.publish(session, world.submitted_id, None)


def test_publishing_twice_and_unknown_versions_are_refused(services: Services, world: World) -> None:
    with services.session_factory() as session:
        with pytest.raises(InvalidInput, match="already published"):
            workflow.publish(session, world.published_id, None)
        with pytest.raises(NotFound, match="scene version 999"):
            workflow.approve(session, 999, None)
        with pytest.raises(InvalidInput, match="not the published one"):
            workflow.unpublish(session, world.submitted_id, None)
        assert session.get(SceneVersion, world.published_id).state == SceneState.PUBLISHED  # type: ignore[union-attr]

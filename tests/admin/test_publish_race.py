"""Two moves on one scene's publication at once (two publishes, a publish and a rollback) run one
after the other: never two published versions, nor a pointer to a retired one; of two curators who
acted on the same page, the second is told to reload (409)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ar_service import workflow
from ar_service.db import upgrade
from ar_service.models import AuditLog, Scene, SceneState, SceneVersion
from ar_service.services import Services
from hue_errors import Conflict
from tests.admin.conftest import World, build_world
from tests.conftest import embedded_settings

Move = Callable[[Session], object]


@dataclass(frozen=True)
class Scene3:
    """The world's scene with v1 published, v2 and v3 approved."""

    services: Services
    world: World
    v1: int
    v2: int
    v3: int


@pytest.fixture
def scene3(database_url: str, tmp_path: Path) -> Iterator[Scene3]:
    """On SQLite, and on PostgreSQL where it runs."""
    upgrade(database_url)
    services = Services.build(embedded_settings(tmp_path / "instance", database_url=database_url))
    world = build_world(services)
    with services.session_factory.begin() as session:
        workflow.approve(session, world.submitted_id, None)
        v1 = session.get_one(SceneVersion, world.published_id)
        v3 = SceneVersion(
            scene_id=world.scene_id,
            number=3,
            state=SceneState.APPROVED,
            model_version_id=v1.model_version_id,
            marker_version_id=v1.marker_version_id,
        )
        session.add(v3)
        session.flush()
        v3_id = v3.id
    yield Scene3(services, world, world.published_id, world.submitted_id, v3_id)
    services.close()


def _race(services: Services, *moves: Move) -> list[Exception | None]:
    """Run each move in a transaction and thread of its own; each waits, before its first write,
    until every other has done its reads too (the overlap that loses an update), unless another
    holds the scene's lock: then the barrier gives up after 2 s and they go on in turn."""
    barrier = threading.Barrier(len(moves), timeout=2)
    met = threading.local()

    def meet(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not getattr(met, "done", False) and statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
            met.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    outcomes: list[Exception | None] = [None] * len(moves)

    def run(index: int, move: Move) -> None:
        try:
            with services.session_factory.begin() as session:
                move(session)
        except Exception as exc:  # the outcome the test asserts
            outcomes[index] = exc

    event.listen(services.engine, "before_cursor_execute", meet)
    try:
        threads = [threading.Thread(target=run, args=item) for item in enumerate(moves)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)  # a hang guard: they take moments
            assert not thread.is_alive(), "a move hung"
    finally:
        event.remove(services.engine, "before_cursor_execute", meet)
    return outcomes


def _publication(services: Services, scene_id: int) -> tuple[int | None, list[int]]:
    """The scene's published pointer, and the ids of its versions in the published state."""
    with services.session_factory() as session:
        pointer = session.get_one(Scene, scene_id).published_version_id
        published = session.scalars(
            select(SceneVersion.id).where(
                SceneVersion.scene_id == scene_id, SceneVersion.state == SceneState.PUBLISHED
            )
        ).all()
    return pointer, list(published)


def _conflicts(outcomes: list[Exception | None]) -> list[Conflict]:
    assert all(o is None or isinstance(o, Conflict) for o in outcomes), outcomes
    return [o for o in outcomes if isinstance(o, Conflict)]


def test_two_publishes_at_once_leave_one_published_version(scene3: Scene3) -> None:
    s = scene3
    outcomes = _race(
        s.services,
        lambda session: workflow.publish(session, s.v2, None),
        lambda session: workflow.publish(session, s.v3, None),
    )
    assert outcomes == [None, None], "without a page to go by, the second publish follows the first"
    pointer, published = _publication(s.services, s.world.scene_id)
    assert pointer in (s.v2, s.v3) and published == [pointer]
    with s.services.session_factory() as session:
        moves = session.scalars(select(AuditLog).where(AuditLog.action == "scene.publish")).all()
    previous = sorted(move.details["previous"] for move in moves)
    assert previous in ([1, 2], [1, 3]), "the second retired what the first published"


def test_of_two_curators_publishing_from_the_same_page_the_second_is_told_to_reload(
    scene3: Scene3,
) -> None:
    s = scene3
    seen = workflow.Seen(s.v1)
    outcomes = _race(
        s.services,
        lambda session: workflow.publish(session, s.v2, None, seen),
        lambda session: workflow.publish(session, s.v3, None, seen),
    )
    (conflict,) = _conflicts(outcomes)
    assert conflict.http_status == 409
    assert "changed after your page was loaded" in conflict.message
    assert "reload the page" in conflict.message
    winner = s.v2 if outcomes[0] is None else s.v3
    assert _publication(s.services, s.world.scene_id) == (winner, [winner])


def test_a_rollback_and_a_publish_at_once_leave_the_pointer_on_the_one_published_version(
    scene3: Scene3,
) -> None:
    s = scene3
    with s.services.session_factory.begin() as session:
        workflow.publish(session, s.v2, None)  # v1 retired: it can be rolled back to
    seen = workflow.Seen(s.v2)
    outcomes = _race(
        s.services,
        lambda session: workflow.rollback(session, s.v1, None, seen),
        lambda session: workflow.publish(session, s.v3, None, seen),
    )
    assert len(_conflicts(outcomes)) == 1
    winner = s.v1 if outcomes[0] is None else s.v3
    assert _publication(s.services, s.world.scene_id) == (winner, [winner])
    with s.services.session_factory() as session:
        assert session.get_one(SceneVersion, s.v2).state is SceneState.RETIRED

"""Visit events from many request threads: each waits for its commit, and they share commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ar_service.analytics import visit_row
from ar_service.db import make_engine, upgrade
from ar_service.models import EventKind, ScanEvent, Site
from ar_service.visit_writer import VisitWriter


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        session.add(Site(slug="lang-co", code="LC1", names={"vi": "Lăng Cô"}, descriptions={}))
    yield engine
    engine.dispose()


def _site_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(Site.id)).scalar_one())


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ScanEvent)).scalar_one())


def test_concurrent_visits_are_all_stored_in_few_commits(engine: Engine) -> None:
    site_id, commits = _site_id(engine), []

    def slow_commit(_connection: Any) -> None:
        commits.append(1)
        time.sleep(0.05)  # while one commit runs, the other requests queue up for the next

    event.listen(engine, "commit", slow_commit)
    writer = VisitWriter(engine)
    start = threading.Barrier(40)
    stored_before_return: list[bool] = []

    def visit() -> None:
        start.wait()
        writer.record([visit_row(site_id, EventKind.SCAN, language="vi", device="mobile-android")])
        stored_before_return.append(_count(engine) > 0)

    threads = [threading.Thread(target=visit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    event.remove(engine, "commit", slow_commit)
    writer.close()
    assert _count(engine) == 40
    assert all(stored_before_return) and len(stored_before_return) == 40
    assert len(commits) <= 5


def test_one_request_with_bad_rows_fails_alone(engine: Engine) -> None:
    site_id = _site_id(engine)
    writer = VisitWriter(engine)
    good = visit_row(site_id, EventKind.PAGE, language="en", device="mobile-android")
    bad = {**good, "kind": None}  # NOT NULL
    errors: list[BaseException] = []

    def send(rows: list[dict[str, Any]]) -> None:
        try:
            writer.record(rows)
        except IntegrityError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=([good, good],)) for _ in range(5)]
    threads.append(threading.Thread(target=send, args=([good, bad],)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    writer.close()
    assert len(errors) == 1
    assert _count(engine) == 10  # the bad request's good row went with it: all or none


def _writer_threads() -> int:
    return sum(thread.name == "hue-ar-visits" for thread in threading.enumerate())


def test_closing_writes_what_is_pending_and_stops_the_thread(engine: Engine) -> None:
    writer, before = VisitWriter(engine), _writer_threads()
    writer.record([visit_row(_site_id(engine), EventKind.SCAN, language="ko", device="mobile-android")])
    assert _writer_threads() == before + 1
    writer.close()
    assert _writer_threads() == before
    assert _count(engine) == 1
    with pytest.raises(RuntimeError, match="closed"):
        writer.record([visit_row(_site_id(engine), EventKind.SCAN, language="ko", device="mobile-android")])

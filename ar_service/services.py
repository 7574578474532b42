"""The long-lived parts of one app instance: database, storage, job queue, read cache, visit writer."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ar_service.db import make_engine, make_session_factory
from ar_service.jobs.queue import JobQueue
from ar_service.read_cache import ReadCache
from ar_service.settings import Settings
from ar_service.storage import Storage, open_storage
from ar_service.visit_writer import VisitWriter


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    storage: Storage
    queue: JobQueue
    reads: ReadCache
    visits: VisitWriter

    @classmethod
    def build(cls, settings: Settings) -> Services:
        engine = make_engine(settings.database_url)
        session_factory = make_session_factory(engine)
        storage = open_storage(
            settings.storage_url,
            s3_endpoint_url=settings.s3_endpoint_url,
            s3_public_url=settings.s3_public_url,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
        )
        queue = JobQueue(settings, session_factory, storage)
        return cls(
            settings, engine, session_factory, storage, queue, ReadCache(session_factory), VisitWriter(engine)
        )

    def close(self) -> None:
        self.queue.stop_background()
        self.visits.close()
        self.engine.dispose()


def services() -> Services:
    """The current app's services."""
    found: Services = current_app.extensions["hue_ar"]
    return found


def db() -> Session:
    """The request's database session (closed when the request ends)."""
    if "db_session" not in g:
        g.db_session = services().session_factory()
    session: Session = g.db_session
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()

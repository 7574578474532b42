"""Job kinds and the functions that run them.

A handler takes a :class:`JobContext` and the job's plain-data payload and returns
plain data for ``Job.result``. Handlers must be idempotent: a job whose worker died
is run again, and re-running it rewrites the same content-addressed outputs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from ar_service.jobs import isolation
from ar_service.settings import Settings
from ar_service.storage import Storage
from hue_errors import ConfigError

T = TypeVar("T")


@dataclass
class JobContext:
    """What a handler may use: the database, the object store, settings, and progress reporting;
    ``stop`` is set when the worker shuts down and hands the job back."""

    job_id: int
    session_factory: sessionmaker[Session]
    storage: Storage
    settings: Settings
    report: Callable[[str, float], None]
    stop: threading.Event = field(default_factory=threading.Event)

    def progress(self, stage: str, fraction: float) -> None:
        """Record the current stage and overall progress (0–1); also renews the job's lease."""
        self.report(stage, min(max(fraction, 0.0), 1.0))

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.session_factory() as session, session.begin():
            yield session

    def in_child(
        self,
        what: str,
        function: Callable[..., T],
        *args: Any,
        progress: isolation.Progress | None = None,
        scratch: Path | None = None,
        **kwargs: Any,
    ) -> T:
        """:func:`isolation.in_child` under the job's time limit (HUE_AR_JOB_TIME_LIMIT_SECONDS),
        stopped (Interrupted) if the worker hands the job back, its temporary files in ``scratch``."""
        return isolation.in_child(
            what,
            function,
            *args,
            progress=progress,
            time_limit_s=self.settings.job_time_limit_seconds,
            stop=self.stop,
            scratch=scratch,
            **kwargs,
        )


Handler = Callable[[JobContext, dict[str, Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of job ``kind``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def load_handlers(extra_modules: tuple[str, ...] = ()) -> None:
    """Import the built-in handler modules and any named in HUE_AR_JOB_MODULES."""
    for name in ("ar_service.jobs.processing", *extra_modules):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"HUE_AR_JOB_MODULES: cannot import {name!r}: {exc}") from exc

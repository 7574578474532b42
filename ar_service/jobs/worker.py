"""Running one job under a lease, with a heartbeat, and sorting out how it ended."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ar_service.jobs import lease
from ar_service.jobs.registry import HANDLERS, JobContext
from ar_service.models import Job
from ar_service.settings import Settings
from ar_service.storage import Storage
from hue_errors import HueARError

log = logging.getLogger(__name__)


def worker_id() -> str:
    """Unique per process and thread, readable in the Job row (host:pid:random)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner:
    """Runs jobs by id; safe to call for a job another worker already took (it does nothing)."""

    def __init__(self, session_factory: sessionmaker[Session], storage: Storage, settings: Settings) -> None:
        self.session_factory = session_factory
        self.storage = storage
        self.settings = settings

    def run(self, job_id: int) -> bool:
        """Claim and run job ``job_id``; True if this call ran it."""
        owner = worker_id()
        lease_s = self.settings.job_lease_seconds
        with self.session_factory.begin() as session:
            if not lease.claim(session, job_id, owner, lease_s):
                return False
            job = session.get(Job, job_id)
            assert job is not None
            kind, payload, attempts, max_attempts = (
                job.kind,
                dict(job.payload),
                job.attempts,
                job.max_attempts,
            )
        handler = HANDLERS.get(kind)
        if handler is None:
            self._finish(job_id, owner, error=("unknown_kind", f"no handler for job kind {kind!r}"))
            return True

        stop = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(job_id, owner, stop), daemon=True)
        heartbeat.start()
        try:
            context = JobContext(
                job_id=job_id,
                session_factory=self.session_factory,
                storage=self.storage,
                settings=self.settings,
                report=lambda stage, fraction: self._report(job_id, owner, stage, fraction),
            )
            result = handler(context, payload)
        except HueARError as exc:
            # Bad input or a budget failure: running it again gives the same answer; a storage
            # outage may pass, so such a job goes back to the queue while attempts remain.
            retry = exc.retryable and attempts < max_attempts
            if retry:
                log.warning("job %s (%s) attempt %s: %s; will retry", job_id, kind, attempts, exc.message)
            self._finish(job_id, owner, error=(exc.code, exc.message), retry=retry)
        except Exception as exc:
            log.exception("job %s (%s) attempt %s failed", job_id, kind, attempts)
            # Back to the queue while attempts remain; the reconciler re-enqueues it after
            # a lease period, which doubles as back-off.
            retry = attempts < max_attempts
            message = f"internal error in attempt {attempts} of {max_attempts}: {type(exc).__name__}"
            self._finish(job_id, owner, error=("internal", message), retry=retry)
        else:
            self._finish(job_id, owner, result=result)
        finally:
            stop.set()
            heartbeat.join()
        return True

    def _report(self, job_id: int, owner: str, stage: str, fraction: float) -> None:
        """Record progress; a database hiccup costs this report, not the job (the heartbeat holds
        the lease meanwhile)."""
        self._renew(job_id, owner, stage=stage, progress=int(fraction * 100))

    def _heartbeat(self, job_id: int, owner: str, stop: threading.Event) -> None:
        # Long stages report no progress for a while; the lease must outlive them. A failed
        # renewal is tried again at the next beat (a third of a lease later), a lost lease ends it.
        interval = max(self.settings.job_lease_seconds / 3, 0.2)
        while not stop.wait(interval):
            if self._renew(job_id, owner) is False:
                return

    def _renew(self, job_id: int, owner: str, **progress: Any) -> bool | None:
        """Whether this worker still holds the job's lease; None if the database could not say."""
        try:
            with self.session_factory.begin() as session:
                return lease.renew(session, job_id, owner, self.settings.job_lease_seconds, **progress)
        except SQLAlchemyError:
            log.warning("job %s: could not renew its lease; trying again", job_id, exc_info=True)
            return None

    def _finish(self, job_id: int, owner: str, **outcome: Any) -> None:
        with self.session_factory.begin() as session:
            if not lease.finish(session, job_id, owner, **outcome):
                log.warning("job %s: lease lost before finishing; outcome discarded", job_id)

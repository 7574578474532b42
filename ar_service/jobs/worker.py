"""Running one job under a lease, with a heartbeat, and sorting out how it ended; handing jobs back
to the queue when the worker shuts down."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ar_service.jobs import lease
from ar_service.jobs.isolation import Interrupted
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
    """Runs jobs by id; safe to call for a job another worker already took (it does nothing).

    ``requeue`` puts a job id back on the queue: for a job taken, or handed back, while this
    runner shuts down."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        storage: Storage,
        settings: Settings,
        requeue: Callable[[int], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.storage = storage
        self.settings = settings
        self.requeue = requeue
        self.draining = threading.Event()  # set: claim no new job
        self.stopping = threading.Event()  # set: jobs' children are killed, their jobs handed back
        self._held: dict[int, str] = {}  # job id → lease owner, for the jobs running now
        self._held_lock = threading.Lock()

    def run(self, job_id: int) -> bool:
        """Claim and run job ``job_id``; True if this call ran it."""
        if self.draining.is_set():
            self._requeue(job_id)  # taken off the queue while shutting down: another worker's
            return False
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
        with self._held_lock:
            self._held[job_id] = owner
        try:
            self._run_claimed(job_id, owner, kind, payload, attempts, max_attempts)
        finally:
            with self._held_lock:
                self._held.pop(job_id, None)
        return True

    def hand_back(self) -> list[int]:
        """Stop the jobs running now (their children are killed) and put them back in the queue
        with their attempts uncounted; the ids handed back. For a worker that shuts down."""
        self.draining.set()
        self.stopping.set()
        with self._held_lock:
            held = list(self._held.items())
        return [job_id for job_id, owner in held if self._release(job_id, owner)]

    def _run_claimed(
        self, job_id: int, owner: str, kind: str, payload: dict[str, Any], attempts: int, max_attempts: int
    ) -> None:
        handler = HANDLERS.get(kind)
        if handler is None:
            self._finish(job_id, owner, error=("unknown_kind", f"no handler for job kind {kind!r}"))
            return

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
                stop=self.stopping,
            )
            result = handler(context, payload)
        except Interrupted:
            self._release(job_id, owner)
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

    def _release(self, job_id: int, owner: str) -> bool:
        """Hand one job back (if this worker still holds it) and queue it again."""
        try:
            with self.session_factory.begin() as session:
                released = lease.release(session, job_id, owner)
        except SQLAlchemyError:  # its lease expires, and the reconciler retries it (an attempt counted)
            log.exception("job %s: could not hand it back to the queue", job_id)
            return False
        if released:
            log.warning("job %s: handed back to the queue, attempt uncounted: the worker is stopping", job_id)
            self._requeue(job_id)
        return released

    def _requeue(self, job_id: int) -> None:
        if self.requeue is None:
            return  # the reconciler queues it again once its message looks lost
        try:
            self.requeue(job_id)
        except Exception:  # the queue is down: the same
            log.exception("job %s: could not put it back on the queue; the reconciler will", job_id)

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

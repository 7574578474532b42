"""The job queue: Huey carries job ids (SQLite embedded, Redis in production).

The Job row is the source of truth; Huey only wakes a worker. A lost message or a
dead worker is repaired by :meth:`JobQueue.reconcile`, which every worker process
runs periodically.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from ar_service.jobs import lease
from ar_service.jobs.registry import HANDLERS, load_handlers
from ar_service.jobs.worker import JobRunner
from ar_service.models import Job, utcnow
from ar_service.settings import Settings
from ar_service.storage import Storage
from hue_errors import InvalidInput

log = logging.getLogger(__name__)
_PENDING = "hue_ar_pending_jobs"
# How long a stopping worker waits for the jobs it handed back to kill their children.
_WIND_DOWN_S = 5.0


def make_huey(settings: Settings) -> Huey:
    url = settings.queue_url
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        return SqliteHuey(
            "hue-ar", filename=path, results=False, immediate=settings.worker_mode == "immediate"
        )
    return RedisHuey("hue-ar", url=url, results=False)


def job_key(kind: str, asset_version_id: int) -> str:
    """Idempotency key of the job of ``kind`` for one asset version (each version is processed
    once, whoever asks), also how a scene version finds its jobs."""
    return f"{kind}:{asset_version_id}"


class _GracefulConsumer(Consumer):  # type: ignore[misc]
    """A consumer that stops as its jobs need: no new job is taken, the running ones get
    HUE_AR_WORKER_SHUTDOWN_GRACE_SECONDS to finish, then go back to the queue with their attempts
    uncounted. (Huey's own stop leaves them running, or to the reconciler: an attempt each.)"""

    def __init__(self, huey: Huey, runner: JobRunner, *, workers: int, grace_s: int, **options: Any) -> None:
        super().__init__(
            huey, workers=workers, periodic=False, worker_type="thread", shutdown_timeout=grace_s, **options
        )
        self._runner = runner
        self._grace_s = grace_s

    def stop(self, graceful: bool = False) -> None:
        self._runner.draining.set()
        log.warning(
            "worker stopping: no new jobs; those running get %s s to finish, then go back to the queue",
            self._grace_s if graceful else 0,
        )
        super().stop(graceful=graceful)
        self._handing_back()
        # Huey cannot interrupt a worker thread: the jobs still running are handed back from here.
        self._runner.hand_back()
        deadline = time.monotonic() + _WIND_DOWN_S
        for _, thread in self.worker_threads:  # their children are killed within a poll
            thread.join(max(deadline - time.monotonic(), 0))

    def _handing_back(self) -> None:
        """Called once the grace period is over, before the running jobs are handed back."""


class _WorkerConsumer(_GracefulConsumer):
    """`hue-ar worker`'s consumer: SIGTERM (a deploy, a supervisor's stop) stops it gracefully;
    SIGINT, or a second SIGTERM, hands the running jobs back at once."""

    def __init__(self, huey: Huey, runner: JobRunner, *, workers: int, grace_s: int) -> None:
        super().__init__(huey, runner, workers=workers, grace_s=grace_s, graceful_signal="TERM")

    def _handing_back(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):  # handing back already: nothing to hurry
                signal.signal(signum, signal.SIG_IGN)


class _EmbeddedConsumer(_GracefulConsumer):
    """The web process's consumer (inline mode), stopped when the web server stops."""

    def _set_signal_handlers(self) -> None:
        """Signals belong to the web server's main thread; this consumer runs beside it."""


class JobQueue:
    """Enqueue jobs and run workers, over one Huey instance and the job table."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session], storage: Storage) -> None:
        load_handlers(settings.job_modules)
        self.settings = settings
        self.session_factory = session_factory
        self.runner = JobRunner(session_factory, storage, settings, requeue=self.push)
        self.huey = make_huey(settings)
        self._task = self.huey.task(name="run_job")(self.runner.run)
        self._stop = threading.Event()
        self._consumer: Consumer | None = None

    def enqueue(
        self, session: Session, kind: str, payload: dict[str, Any], *, idempotency_key: str | None = None
    ) -> Job:
        """Create (or find, by idempotency key) a job and queue it once the session commits."""
        if kind not in HANDLERS:
            raise InvalidInput(f"unknown job kind {kind!r} (known: {', '.join(sorted(HANDLERS))})")
        if idempotency_key is not None:
            existing = session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
            if existing is not None:
                return existing
        job = Job(
            kind=kind,
            payload=payload,
            idempotency_key=idempotency_key,
            max_attempts=self.settings.job_max_attempts,
            enqueued_at=utcnow(),
        )
        session.add(job)
        session.flush()
        # The id goes on the queue only once the row is committed and visible to workers.
        pending = session.info.setdefault(_PENDING, [])
        if not pending:
            event.listen(session, "after_commit", self._push_pending, once=True)
        pending.append(job.id)
        return job

    def _push_pending(self, session: Session) -> None:
        for job_id in session.info.pop(_PENDING, []):
            self.push(job_id)

    def push(self, job_id: int) -> None:
        """Put a job id on the queue (or run it now in immediate mode)."""
        self._task(job_id)

    def reconcile(self) -> lease.Reconciled:
        with self.session_factory.begin() as session:
            outcome = lease.reconcile(session, stale_after_seconds=self.settings.job_lease_seconds)
        for job_id in outcome.requeued:
            self.push(job_id)
        if outcome.requeued or outcome.failed:
            log.info("reconciled jobs: requeued %s, failed %s", outcome.requeued, outcome.failed)
        return outcome

    def _reconcile_loop(self) -> None:
        interval = max(self.settings.job_lease_seconds / 2, 0.5)
        while not self._stop.wait(interval):
            try:
                self.reconcile()
            except Exception:  # the loop must outlive a database blip
                log.exception("reconcile failed; retrying in %.1f s", interval)

    def start_background(self, workers: int = 1) -> None:
        """Run a consumer and the reconciler in threads of this process (embedded mode)."""
        self.reconcile()
        self._consumer = _EmbeddedConsumer(
            self.huey,
            self.runner,
            workers=workers,
            grace_s=self.settings.worker_shutdown_grace_seconds,
            check_worker_health=False,
        )
        self._consumer.start()
        threading.Thread(target=self._reconcile_loop, name="hue-ar-reconcile", daemon=True).start()

    def stop_background(self) -> None:
        self._stop.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)

    def run_worker(self, workers: int = 1) -> None:
        """Block running a consumer in this process (`hue-ar worker`), with the reconciler beside it."""
        self.reconcile()
        threading.Thread(target=self._reconcile_loop, name="hue-ar-reconcile", daemon=True).start()
        consumer = _WorkerConsumer(
            self.huey, self.runner, workers=workers, grace_s=self.settings.worker_shutdown_grace_seconds
        )
        try:
            consumer.run()
        finally:
            self._stop.set()

"""Leases on job rows: claim, renew, finish or release, and reconcile after a worker crash.

Every change is one conditional UPDATE, so several workers on several machines can
race for the same row and exactly one wins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, Update, and_, or_, select, update
from sqlalchemy.orm import Session

from ar_service.models import Job, JobState, utcnow


def _changed(session: Session, statement: Update) -> bool:
    """Run a conditional UPDATE; True if it matched a row."""
    result: CursorResult[Any] = session.execute(statement.execution_options(synchronize_session=False))  # type: ignore[assignment]
    return bool(result.rowcount)


def claim(session: Session, job_id: int, owner: str, lease_seconds: int) -> bool:
    """Take the job if it is queued or its lease has expired; counts an attempt."""
    now = utcnow()
    return _changed(
        session,
        update(Job)
        .where(
            Job.id == job_id,
            Job.attempts < Job.max_attempts,
            or_(
                Job.state == JobState.QUEUED,
                and_(Job.state == JobState.RUNNING, Job.lease_expires_at < now),
            ),
        )
        .values(
            state=JobState.RUNNING,
            lease_owner=owner,
            lease_expires_at=now + dt.timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
            error_code=None,
            error_message=None,
        ),
    )


def renew(
    session: Session,
    job_id: int,
    owner: str,
    lease_seconds: int,
    *,
    stage: str | None = None,
    progress: int | None = None,
) -> bool:
    """Extend the lease (and record progress); False if another worker took the job."""
    values: dict[str, Any] = {"lease_expires_at": utcnow() + dt.timedelta(seconds=lease_seconds)}
    if stage is not None:
        values["stage"] = stage
    if progress is not None:
        values["progress"] = progress
    return _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.state == JobState.RUNNING)
        .values(**values),
    )


def finish(
    session: Session,
    job_id: int,
    owner: str,
    *,
    result: dict[str, Any] | None = None,
    error: tuple[str, str] | None = None,
    retry: bool = False,
) -> bool:
    """Record the outcome if this worker still holds the lease.

    ``retry`` puts a failed attempt back in the queue while attempts remain.
    """
    values: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}
    if error is None:
        values |= {
            "state": JobState.SUCCEEDED,
            "result": result or {},
            "progress": 100,
            "finished_at": utcnow(),
        }
    else:
        values |= {"error_code": error[0], "error_message": error[1]}
        values["state"] = JobState.QUEUED if retry else JobState.FAILED
        if not retry:
            values["finished_at"] = utcnow()
    return _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.state == JobState.RUNNING)
        .values(**values),
    )


def release(session: Session, job_id: int, owner: str) -> bool:
    """Put a job this worker holds back in the queue without counting the attempt: the worker is
    shutting down, the job did not fail. False if the worker no longer holds it."""
    return _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.state == JobState.RUNNING)
        .values(
            state=JobState.QUEUED,
            lease_owner=None,
            lease_expires_at=None,
            attempts=Job.attempts - 1,
            enqueued_at=utcnow(),
        ),
    )


@dataclass(frozen=True)
class Reconciled:
    requeued: list[int]
    failed: list[int]


def reconcile(session: Session, *, stale_after_seconds: int) -> Reconciled:
    """Find jobs whose worker vanished (lease expired) or that never reached a queue.

    Jobs with attempts left go back to ``queued`` and are returned for re-enqueueing;
    the others fail with the reason. Each change is conditional on the row being as it was
    read: a worker that claims, renews or finishes the job meanwhile wins.
    """
    now = utcnow()
    expired = session.execute(
        select(Job.id, Job.attempts, Job.max_attempts).where(
            Job.state == JobState.RUNNING, Job.lease_expires_at < now
        )
    ).all()
    requeued, failed = [], []
    for job_id, attempts, max_attempts in expired:
        unchanged = update(Job).where(
            Job.id == job_id,
            Job.attempts == attempts,
            Job.state == JobState.RUNNING,
            Job.lease_expires_at < now,
        )
        released = {"lease_owner": None, "lease_expires_at": None}
        if attempts >= max_attempts:
            message = (
                f"the worker stopped responding during attempt {attempts} of {max_attempts}; "
                "giving up (check worker logs, then retry the job)"
            )
            values = {"state": JobState.FAILED, "error_code": "worker_lost", "error_message": message}
            if _changed(session, unchanged.values(**values, finished_at=now, **released)):
                failed.append(job_id)
        elif _changed(session, unchanged.values(state=JobState.QUEUED, enqueued_at=now, **released)):
            requeued.append(job_id)
    # A queued job whose message is older than a lease may have lost it (a crash between
    # commit and enqueue); enqueueing twice is harmless because claim() is atomic.
    cutoff = now - dt.timedelta(seconds=stale_after_seconds)
    stale = (Job.state == JobState.QUEUED, Job.enqueued_at < cutoff)
    stale_ids = session.scalars(select(Job.id).where(*stale)).all()
    _changed(session, update(Job).where(Job.id.in_(stale_ids), *stale).values(enqueued_at=now))
    requeued.extend(stale_ids)
    return Reconciled(requeued=requeued, failed=failed)

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from ar_service.jobs import lease
from ar_service.models import Job, JobState, utcnow
from ar_service.services import Services
from tests.jobs.conftest import job_row, payload


def _enqueue(services: Services, tmp_path: Path, key: str | None = None) -> int:
    with services.session_factory.begin() as session:
        job = services.queue.enqueue(session, "test.write_chunks", payload(tmp_path), idempotency_key=key)
        return job.id


def test_same_idempotency_key_gives_the_same_job(job_services: Services, tmp_path: Path) -> None:
    assert _enqueue(job_services, tmp_path, "k1") == _enqueue(job_services, tmp_path, "k1")
    assert _enqueue(job_services, tmp_path, "k2") != _enqueue(job_services, tmp_path, "k1")


def test_only_one_worker_claims_a_job(job_services: Services, tmp_path: Path) -> None:
    job_id = _enqueue(job_services, tmp_path)
    with job_services.session_factory.begin() as session:
        assert lease.claim(session, job_id, "worker-a", 60)
    with job_services.session_factory.begin() as session:
        assert not lease.claim(session, job_id, "worker-b", 60)
        assert not lease.renew(session, job_id, "worker-b", 60)
        assert not lease.finish(session, job_id, "worker-b", result={})
    job = job_row(job_services, job_id)
    assert (job.state, job.lease_owner, job.attempts) == (JobState.RUNNING, "worker-a", 1)


def _expire(services: Services, job_id: int) -> None:
    with services.session_factory.begin() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - dt.timedelta(1))
        )


def test_expired_lease_is_requeued_then_failed_when_attempts_run_out(
    job_services: Services, tmp_path: Path
) -> None:
    job_id = _enqueue(job_services, tmp_path)
    for attempt in range(1, 4):
        with job_services.session_factory.begin() as session:
            assert lease.claim(session, job_id, f"worker-{attempt}", 60)
        _expire(job_services, job_id)
        with job_services.session_factory.begin() as session:
            outcome = lease.reconcile(session, stale_after_seconds=3600)
        if attempt < 3:
            assert outcome.requeued == [job_id]
            assert job_row(job_services, job_id).state is JobState.QUEUED
    job = job_row(job_services, job_id)
    assert outcome.failed == [job_id]
    assert job.state is JobState.FAILED
    assert job.error_code == "worker_lost"
    assert "attempt 3 of 3" in (job.error_message or "")


def test_a_claim_between_the_reconcilers_read_and_write_wins(job_services: Services, tmp_path: Path) -> None:
    job_id = _enqueue(job_services, tmp_path)
    with job_services.session_factory.begin() as session:
        assert lease.claim(session, job_id, "worker-a", 60)
    _expire(job_services, job_id)
    claimed: list[bool] = []

    def worker_b_claims(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Right after the reconciler has read the expired job, worker B (holding a duplicate
        # message) takes it: the reconciler must then leave the row alone.
        if (
            not claimed
            and statement.lstrip().upper().startswith("SELECT")
            and "lease_expires_at <" in statement
        ):
            with job_services.session_factory.begin() as other:
                claimed.append(lease.claim(other, job_id, "worker-b", 60))

    event.listen(job_services.engine, "after_cursor_execute", worker_b_claims)
    try:
        with job_services.session_factory.begin() as session:
            outcome = lease.reconcile(session, stale_after_seconds=3600)
    finally:
        event.remove(job_services.engine, "after_cursor_execute", worker_b_claims)
    assert claimed == [True] and outcome.requeued == [] and outcome.failed == []
    job = job_row(job_services, job_id)
    assert (job.state, job.lease_owner, job.attempts) == (JobState.RUNNING, "worker-b", 2)
    with job_services.session_factory.begin() as session:
        assert lease.finish(session, job_id, "worker-b", result={"ok": 1})


def test_runner_records_progress_and_result(job_services: Services, tmp_path: Path) -> None:
    job_id = _enqueue(job_services, tmp_path)
    assert job_services.queue.runner.run(job_id)
    job = job_row(job_services, job_id)
    assert (job.state, job.progress, job.attempts, job.stage) == (JobState.SUCCEEDED, 100, 1, "write")
    assert job.result is not None
    assert job_services.storage.stat(job.result["key"]).size == job.result["bytes"] == 3 * 32 * 4096
    assert not job_services.queue.runner.run(job_id), "a finished job must not run again"


def test_a_crash_inside_the_handler_is_retried_by_the_reconciler(
    job_services: Services, tmp_path: Path
) -> None:
    with job_services.session_factory.begin() as session:
        job_id = job_services.queue.enqueue(session, "test.write_chunks", payload(tmp_path, fail_times=1)).id
    job_services.queue.runner.run(job_id)
    job = job_row(job_services, job_id)
    assert (job.state, job.error_code, job.attempts) == (JobState.QUEUED, "internal", 1)
    assert job_services.queue.runner.run(job_id)
    job = job_row(job_services, job_id)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 2)


def test_a_storage_outage_is_retried_like_a_crash(job_services: Services, tmp_path: Path) -> None:
    with job_services.session_factory.begin() as session:
        work = payload(tmp_path, fail_times=1, fail_with="storage")
        job_id = job_services.queue.enqueue(session, "test.write_chunks", work).id
    job_services.queue.runner.run(job_id)
    job = job_row(job_services, job_id)
    assert (job.state, job.error_code, job.attempts) == (JobState.QUEUED, "storage", 1)
    assert job_services.queue.runner.run(job_id)
    assert job_row(job_services, job_id).state is JobState.SUCCEEDED


def test_a_database_hiccup_while_renewing_costs_the_job_nothing(
    job_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renew = lease.renew
    hiccups: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> bool:
        if len(hiccups) < 2:  # the first progress report and the first heartbeat both fail
            hiccups.append(1)
            raise OperationalError("UPDATE jobs", {}, Exception("database is locked"))
        return renew(*args, **kwargs)

    monkeypatch.setattr(lease, "renew", flaky)
    # Three chunks of 1.5 s outlast the 2 s lease: only the heartbeat can keep it.
    job_id = _enqueue_slow(job_services, tmp_path)
    assert job_services.queue.runner.run(job_id)
    job = job_row(job_services, job_id)
    assert len(hiccups) == 2 and (job.state, job.attempts) == (JobState.SUCCEEDED, 1)


def _enqueue_slow(services: Services, tmp_path: Path) -> int:
    with services.session_factory.begin() as session:
        return services.queue.enqueue(session, "test.write_chunks", payload(tmp_path, delay_s=1.5)).id


def test_bad_input_fails_at_once_with_its_message(job_services: Services, tmp_path: Path) -> None:
    with job_services.session_factory.begin() as session:
        job_id = job_services.queue.enqueue(session, "model.process", {"asset_version_id": 999}).id
    job_services.queue.runner.run(job_id)
    job = job_row(job_services, job_id)
    assert (job.state, job.error_code, job.attempts) == (JobState.FAILED, "not_found", 1)
    assert job.error_message == "asset version 999 no longer exists"


def test_a_released_job_goes_back_to_the_queue_with_its_attempt_uncounted(
    job_services: Services, tmp_path: Path
) -> None:
    job_id = _enqueue(job_services, tmp_path)
    with job_services.session_factory.begin() as session:
        assert lease.claim(session, job_id, "worker-a", 60)
    with job_services.session_factory.begin() as session:
        assert not lease.release(session, job_id, "worker-b"), "only the holder hands a job back"
        assert lease.release(session, job_id, "worker-a")
    job = job_row(job_services, job_id)
    assert (job.state, job.attempts, job.lease_owner, job.lease_expires_at) == (
        JobState.QUEUED,
        0,
        None,
        None,
    )


def test_a_stopping_runner_puts_a_job_it_is_given_back_on_the_queue(
    job_services: Services, tmp_path: Path
) -> None:
    job_id = _enqueue(job_services, tmp_path)
    queued = [task.args[0] for task in job_services.queue.huey.pending()]
    job_services.queue.runner.draining.set()
    assert not job_services.queue.runner.run(job_id)
    job = job_row(job_services, job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)
    assert [task.args[0] for task in job_services.queue.huey.pending()] == [*queued, job_id]

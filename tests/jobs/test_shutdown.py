"""A worker sent SIGTERM (a deploy) takes no new job, lets a running one finish within the grace
period, and hands back what outlasts it without counting the attempt."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ar_service.models import JobState
from ar_service.services import Services
from tests.conftest import free_port
from tests.jobs.conftest import job_row, payload, start_worker, wait_for, wait_until_ended

pytestmark = pytest.mark.slow
STOPPING = "worker stopping: no new jobs"


def _enqueue(services: Services, kind: str, work: dict[str, object]) -> int:
    with services.session_factory.begin() as session:
        return services.queue.enqueue(session, kind, work).id


def _running(services: Services, job_id: int) -> bool:
    return job_row(services, job_id).state is JobState.RUNNING


@contextmanager
def _reaped(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """``process``, killed with its session's group if the block leaves it running (a failed test)."""
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _assert_handed_back(services: Services, job_id: int) -> None:
    """The job is queued again, on the queue too, with its attempt uncounted and no error."""
    job = job_row(services, job_id)
    assert (job.state, job.attempts, job.error_code) == (JobState.QUEUED, 0, None), job.error_message
    assert job_id in [task.args[0] for task in services.queue.huey.pending()], "back on the queue"


def _exit_status(worker: subprocess.Popen[bytes], log: Path) -> int:
    """The worker's exit status once it ends (60 s: a worker that does not stop is a hang, which
    ``_reaped`` then kills)."""
    try:
        return worker.wait(60)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the worker did not stop\n{log.read_text()[-3000:]}") from None


def _stopped_mid_job(
    services: Services, tmp_path: Path, log: Path, command: tuple[str, ...] = ("worker",), **variables: object
) -> tuple[int, Path]:
    """A held job, and the gate that lets it finish, after a ``command`` process with a 1 s grace
    period started it and was sent SIGTERM, and exited 0."""
    gate = tmp_path / "gate"
    job_id = _enqueue(services, "test.write_chunks", payload(tmp_path, gate=str(gate)))
    process = start_worker(services.settings, log, command, WORKER_SHUTDOWN_GRACE_SECONDS=1, **variables)
    with _reaped(process):
        wait_for(lambda: _running(services, job_id), 60, "the job to start", log)
        os.killpg(process.pid, signal.SIGTERM)
        assert _exit_status(process, log) == 0, log.read_text()[-3000:]
    return job_id, gate


def test_sigterm_lets_the_running_job_finish_and_takes_no_new_one(
    job_services: Services, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    jobs = [_enqueue(job_services, "test.write_chunks", payload(tmp_path, gate=str(gate))) for _ in range(2)]
    worker_log = tmp_path / "worker.log"
    with _reaped(start_worker(job_services.settings, worker_log, WORKER_SHUTDOWN_GRACE_SECONDS=60)) as worker:
        wait_for(lambda: any(_running(job_services, j) for j in jobs), 60, "a job to start", worker_log)
        os.killpg(worker.pid, signal.SIGTERM)
        wait_for(lambda: STOPPING in worker_log.read_text(), 60, "the worker to stop", worker_log)
        gate.touch()  # the running job may finish now, and the worker could take the other
        status = _exit_status(worker, worker_log)
    finished, waiting = sorted((job_row(job_services, j) for j in jobs), key=lambda job: job.attempts)[::-1]
    assert status == 0, worker_log.read_text()[-3000:]
    assert (finished.state, finished.attempts) == (JobState.SUCCEEDED, 1)
    assert (waiting.state, waiting.attempts) == (JobState.QUEUED, 0), "no new job after SIGTERM"


def test_a_job_that_outlasts_the_grace_period_goes_back_with_its_attempt_uncounted(
    job_services: Services, tmp_path: Path
) -> None:
    worker_log = tmp_path / "worker.log"
    job_id, gate = _stopped_mid_job(job_services, tmp_path, worker_log)
    job = job_row(job_services, job_id)
    assert (job.state, job.attempts, job.lease_owner, job.error_code) == (JobState.QUEUED, 0, None, None)
    gate.touch()
    second = start_worker(job_services.settings, worker_log)
    try:
        wait_for(lambda: job_row(job_services, job_id).done, 60, "another worker to finish it", worker_log)
    finally:
        second.terminate()
        second.wait(20)
    job = job_row(job_services, job_id)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 1)
    assert (tmp_path / "handler.log").read_text().count("completed") == 1


def test_a_job_in_a_child_is_handed_back_and_the_child_killed_even_if_sigterm_reached_it(
    job_services: Services, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    job_id = _enqueue(job_services, "test.hang", {"pids": str(pids)})
    worker_log = tmp_path / "worker.log"
    with _reaped(start_worker(job_services.settings, worker_log, WORKER_SHUTDOWN_GRACE_SECONDS=1)) as worker:
        wait_for(pids.exists, 60, "the job's child to start", worker_log)
        # As systemd stops a service: SIGTERM to every process, the job's child and its own too.
        os.killpg(worker.pid, signal.SIGTERM)
        for pid in pids.read_text().split():
            os.kill(int(pid), signal.SIGTERM)
        status = _exit_status(worker, worker_log)
    assert status == 0, worker_log.read_text()[-3000:]
    _assert_handed_back(job_services, job_id)
    wait_until_ended(pids)


def test_the_web_process_sent_sigterm_hands_back_the_job_its_inline_worker_runs(
    job_services: Services, tmp_path: Path
) -> None:
    command = ("serve", "--port", str(free_port()))
    job_id, _ = _stopped_mid_job(
        job_services, tmp_path, tmp_path / "serve.log", command, WORKER_MODE="inline"
    )
    _assert_handed_back(job_services, job_id)

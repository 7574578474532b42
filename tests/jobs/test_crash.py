"""A worker killed with SIGKILL mid-job: another worker finishes the job exactly once."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from ar_service.models import JobState
from ar_service.services import Services
from tests.jobs.conftest import job_row, payload, start_worker, wait_for

pytestmark = pytest.mark.slow


def _crash_and_recover(services: Services, tmp_path: Path) -> None:
    log = tmp_path / "handler.log"
    with services.session_factory.begin() as session:
        job_id = services.queue.enqueue(
            session, "test.write_chunks", payload(tmp_path, chunks=12, delay_s=0.25)
        ).id
    worker_log = tmp_path / "workers.log"
    first = start_worker(services.settings, worker_log)
    try:
        wait_for(
            lambda: log.exists() and log.read_text().count("progress") >= 3, 60, "the first worker to start"
        )
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait(10)
    assert job_row(services, job_id).state is JobState.RUNNING
    second = start_worker(services.settings, worker_log)
    try:
        wait_for(
            lambda: job_row(services, job_id).done, 90, "the second worker to finish the job", worker_log
        )
    finally:
        second.terminate()
        second.wait(20)
    job = job_row(services, job_id)
    assert (job.state, job.attempts, job.progress) == (JobState.SUCCEEDED, 2, 100)
    assert log.read_text().count("completed") == 1
    assert job.result is not None
    assert list(services.storage.iter_keys()) == [job.result["key"]], "no partial or duplicate outputs"
    assert services.storage.stat(job.result["key"]).size == 12 * 32 * 4096


def test_killed_worker_job_completes_once(job_services: Services, tmp_path: Path) -> None:
    _crash_and_recover(job_services, tmp_path)

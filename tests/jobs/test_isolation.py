"""Jobs' library calls run in a child process: answers, progress and errors come back, a crash stays,
a hang is stopped at the time limit."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from ar_service.db import upgrade
from ar_service.jobs.isolation import ChildStopped, Interrupted, TimeLimitExceeded, in_child
from ar_service.models import JobState
from ar_service.services import Services
from ar_service.settings import Settings
from hue_errors import InvalidInput
from tests.conftest import REPO
from tests.jobs import children
from tests.jobs.conftest import job_row, wait_for, wait_until_ended


def test_the_child_returns_the_result_and_relays_progress() -> None:
    seen: list[tuple[str, float]] = []
    assert in_child("count", children.count, 3, progress=lambda s, f: seen.append((s, f))) == [0, 1, 2]
    assert seen == [("stage 0", 1 / 3), ("stage 1", 2 / 3), ("stage 2", 1.0)]


def test_the_child_makes_its_temporary_files_in_the_scratch_folder_it_is_given(tmp_path: Path) -> None:
    assert in_child("pipeline", children.temporary_folder, scratch=tmp_path) == str(tmp_path)
    assert in_child("pipeline", children.temporary_folder) == tempfile.gettempdir()


def test_a_project_error_in_the_child_is_raised_as_itself() -> None:
    with pytest.raises(InvalidInput, match=r"^ingest: m\.obj: not a mesh$") as raised:
        in_child("pipeline", children.refuse, "m.obj")
    assert raised.value.code == "not_a_mesh" and raised.value.exit_code == 2


def test_another_error_in_the_child_is_an_internal_error() -> None:
    with pytest.raises(RuntimeError, match="pipeline: ZeroDivisionError: division by zero"):
        in_child("pipeline", children.divide, 1)


def test_a_crash_in_native_code_ends_the_child_only() -> None:
    with pytest.raises(
        ChildStopped, match=r"pipeline: the processing stopped .* \(killed by SIGSEGV: the file"
    ):
        in_child("pipeline", children.crash)


def test_a_child_past_its_time_limit_is_killed_with_the_process_it_started(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    limit = r"^pipeline: stopped after 2 s, the time limit of a job"
    with pytest.raises(TimeLimitExceeded, match=limit) as raised:
        in_child("pipeline", children.hang, str(pids), time_limit_s=2)
    assert raised.value.code == "time_limit" and not raised.value.retryable
    wait_until_ended(pids)


def test_a_job_past_its_time_limit_fails_at_once_with_what_to_do(
    job_settings: Settings, tmp_path: Path
) -> None:
    upgrade(job_settings.database_url)
    services = Services.build(replace(job_settings, job_time_limit_seconds=2))
    try:
        with services.session_factory.begin() as session:
            job_id = services.queue.enqueue(session, "test.hang", {"pids": str(tmp_path / "pids")}).id
        assert services.queue.runner.run(job_id)
        job = job_row(services, job_id)
    finally:
        services.close()
    outcome = (job.state, job.error_code, job.attempts, job.max_attempts)
    assert outcome == (JobState.FAILED, "time_limit", 1, 3), "a hang is not retried"
    assert job.error_message is not None
    assert job.error_message.startswith("test: stopped after 2 s, the time limit of a job")
    assert "too large or pathological" in job.error_message and "raise the limit" in job.error_message
    wait_until_ended(tmp_path / "pids")


def test_a_stopped_child_is_killed_with_the_process_it_started(tmp_path: Path) -> None:
    pids, stop = tmp_path / "pids", threading.Event()

    def stop_once_started() -> None:
        wait_for(pids.exists, 60, "the child to start")
        stop.set()

    threading.Thread(target=stop_once_started, daemon=True).start()
    with pytest.raises(Interrupted, match=r"^markers: stopped because the worker is shutting down$"):
        in_child("markers", children.hang, str(pids), stop=stop, time_limit_s=120)  # 120 s: a hang
    wait_until_ended(pids)


def test_a_child_ends_when_its_worker_is_killed_outright(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # A worker that runs a job's child with no time limit, then is SIGKILLed (as by the OOM killer).
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ar_service.jobs.isolation import in_child; from tests.jobs import children; "
            "in_child('pipeline', children.hang, sys.argv[1])",
            str(pids),
        ],
        cwd=REPO,
    )
    try:
        wait_for(pids.exists, 60, "the child to start")
    finally:
        worker.kill()
    worker.wait()
    wait_until_ended(pids)  # the child and the process it started

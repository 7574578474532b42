"""Job-queue fixtures: real database (SQLite or PostgreSQL), real storage, the test job kind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ar_service.db import upgrade
from ar_service.models import Job
from ar_service.services import Services
from ar_service.settings import Settings
from tests.conftest import REPO, embedded_settings

JOB_MODULE = "tests.jobs.handlers"


@pytest.fixture
def job_settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """Embedded (SQLite + SQLite queue), or production-like (PostgreSQL + Redis queue)."""
    settings = embedded_settings(
        tmp_path / "instance",
        database_url=database_url,
        job_modules=(JOB_MODULE,),
        job_lease_seconds=2,
        worker_mode="external",
    )
    if database_url.startswith("postgresql"):
        settings = replace(settings, queue_url=request.getfixturevalue("redis_url"), secret_key="test")
    return settings


@pytest.fixture
def job_services(job_settings: Settings) -> Iterator[Services]:
    upgrade(job_settings.database_url)
    services = Services.build(job_settings)
    yield services
    services.close()


def payload(tmp_path: Path, **extra: object) -> dict[str, object]:
    return {"chunks": 3, "delay_s": 0.01, "seed": "s", "log": str(tmp_path / "handler.log"), **extra}


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{tail}")
        time.sleep(0.1)


def job_row(services: Services, job_id: int) -> Job:
    with services.session_factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, ended but not yet waited for, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_until_ended(pids: Path) -> None:
    """Every process whose id ``pids`` lists ends (SIGKILL lands within moments; 60 s is a hang)."""
    ids = [int(pid) for pid in pids.read_text().split()]
    assert ids, f"{pids} lists no process"
    wait_for(lambda: not any(running(pid) for pid in ids), 60, f"processes {ids} to end")


def start_worker(
    settings: Settings, log: Path, command: tuple[str, ...] = ("worker",), **variables: object
) -> subprocess.Popen[bytes]:
    """A `hue-ar worker` process (or another ``command``) on ``settings``, leading a session of its
    own, output to ``log``; ``variables`` are more HUE_AR_* settings (``WORKER_SHUTDOWN_GRACE_SECONDS=1``)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "HUE_AR_INSTANCE_PATH": str(settings.instance_path),
        "HUE_AR_DATABASE_URL": settings.database_url,
        "HUE_AR_STORAGE_URL": settings.storage_url,
        "HUE_AR_QUEUE_URL": settings.queue_url,
        "HUE_AR_SECRET_KEY": "test",
        "HUE_AR_JOB_MODULES": ",".join(settings.job_modules),
        "HUE_AR_JOB_LEASE_SECONDS": str(settings.job_lease_seconds),
        "HUE_AR_WORKER_MODE": "external",
        **{f"HUE_AR_{name}": str(value) for name, value in variables.items()},
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "ar_service.cli", *command],
            env=env,
            cwd=REPO,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

"""A PostgreSQL restart between two requests must not break the second one (pool pre-ping)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from ar_service.app import create_app
from ar_service.db import upgrade
from ar_service.services import Services
from tests.conftest import embedded_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _restart_postgres() -> None:
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if shutil.which("pg_ctlcluster") is None or not versions:
        pytest.skip("pg_ctlcluster is not available to restart PostgreSQL")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_request_after_a_postgres_restart_succeeds(tmp_path: Path, postgres_url: str) -> None:
    settings = replace(embedded_settings(tmp_path / "instance", database_url=postgres_url), secret_key="test")
    upgrade(settings.database_url)
    app = create_app(settings)
    client = app.test_client()
    try:
        assert client.get("/").status_code == 200  # leaves a connection in the pool
        _restart_postgres()
        assert client.get("/").status_code == 200
    finally:
        services: Services = app.extensions["hue_ar"]
        services.close()

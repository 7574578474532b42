from pathlib import Path

import pytest

from ar_service.settings import Settings
from hue_errors import ConfigError


def test_defaults_need_no_server(tmp_path: Path) -> None:
    settings = Settings.from_env({"HUE_AR_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'hue-ar.db'}"
    assert settings.storage_url == (tmp_path / "storage").as_uri()
    assert settings.queue_url.startswith("sqlite:///")
    assert settings.embedded


def test_postgres_url_gets_the_psycopg_driver(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"HUE_AR_INSTANCE_PATH": str(tmp_path), "HUE_AR_DATABASE_URL": "postgresql://u@db.example/hue"}
    )
    assert settings.database_url == "postgresql+psycopg://u@db.example/hue"
    assert not settings.embedded


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("STORAGE_URL", "ftp://files.example/x"),
        ("QUEUE_URL", "amqp://guest@localhost"),
        ("PUBLIC_BASE_URL", "hue.example"),
        ("WORKER_MODE", "sometimes"),
        ("JOB_LEASE_SECONDS", "soon"),
        ("JOB_MAX_ATTEMPTS", "0"),
        ("JOB_TIME_LIMIT_SECONDS", "30m"),
        ("WORKER_SHUTDOWN_GRACE_SECONDS", "-1"),
    ],
)
def test_bad_setting_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"HUE_AR_{name}"):
        Settings.from_env({"HUE_AR_INSTANCE_PATH": str(tmp_path), f"HUE_AR_{name}": value})


def test_embedded_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings.from_env({"HUE_AR_INSTANCE_PATH": str(tmp_path)}).ensure_secret_key()
    second = Settings.from_env({"HUE_AR_INSTANCE_PATH": str(tmp_path)}).ensure_secret_key()
    assert len(first.secret_key) >= 40
    assert first.secret_key == second.secret_key


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"HUE_AR_INSTANCE_PATH": str(tmp_path), "HUE_AR_DATABASE_URL": "postgresql://u@db.example/hue"}
    )
    with pytest.raises(ConfigError, match="HUE_AR_SECRET_KEY"):
        settings.ensure_secret_key()

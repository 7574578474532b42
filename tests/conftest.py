"""Fixtures shared by every suite: a fresh app per test on the embedded defaults."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from ar_service.app import create_app
from ar_service.db import upgrade
from ar_service.models import Base
from ar_service.services import Services
from ar_service.settings import Settings

pytest_plugins = ["tests.services"]

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


SHARED_DATA = REPO.parent / "shared" / "data"


def embedded_settings(instance: Path, **overrides: object) -> Settings:
    base = Settings.from_env({"HUE_AR_INSTANCE_PATH": str(instance), "HUE_AR_WORKER_MODE": "immediate"})
    return Settings(**{**base.__dict__, "testing": True, **overrides}).validated()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return embedded_settings(tmp_path / "instance")


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    upgrade(settings.database_url)
    app = create_app(settings)
    yield app
    services: Services = app.extensions["hue_ar"]
    services.close()


@pytest.fixture
def services(app: Flask) -> Services:
    found: Services = app.extensions["hue_ar"]
    return found


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# SQLite always; PostgreSQL where the server is up.
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()

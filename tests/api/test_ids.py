"""Ids in URLs beyond the schema's INTEGER keys are a 404 on SQLite and on PostgreSQL, not a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ar_service.models.base import MAX_ID
from ar_service.settings import Settings
from tests.api.conftest import World, bearer
from tests.conftest import embedded_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Off SQLite the service needs its key given, as in production.
    return embedded_settings(tmp_path / "instance", database_url=database_url, secret_key="test")


# PostgreSQL's INTEGER ends at 2**31 - 1; SQLite's at 2**63 - 1.
@pytest.mark.parametrize("ident", [MAX_ID, 2**31, 2**63 - 1, 2**63])
@pytest.mark.parametrize("path", ["/api/v1/jobs/{}", "/api/v1/scenes/{}", "/api/v1/scenes/1/versions/{}"])
def test_an_id_beyond_any_row_is_not_found(client: FlaskClient, world: World, path: str, ident: int) -> None:
    assert client.get(path.format(ident), headers=bearer(world.admin)).status_code == 404

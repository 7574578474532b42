"""Importing a site: again after editing site.yaml, its new asset versions get jobs of their own;
its site file is held to the workspace's limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ar_service.db import upgrade
from ar_service.importer import import_site, read_site_spec
from ar_service.models import AssetVersion
from ar_service.services import Services
from hue_errors import InvalidInput
from tests.conftest import REPO, embedded_settings


def test_each_import_of_unchanged_files_processes_its_own_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = embedded_settings(tmp_path / "instance", worker_mode="external")
    upgrade(settings.database_url)
    services = Services.build(settings)
    monkeypatch.setattr(services.queue, "push", lambda job_id: None)  # record the jobs, run none
    try:
        targets = []
        for _ in range(2):
            with services.session_factory.begin() as session:
                imported = import_site(
                    session,
                    services.storage,
                    services.queue,
                    REPO / "assets" / "sample-mask",
                    publish=False,
                    actor_id=None,
                )
                targets.append(sorted(job.payload["asset_version_id"] for job in imported.jobs))
        with services.session_factory() as session:
            versions = sorted(session.scalars(select(AssetVersion.id)))
        assert len(versions) == 4 and targets == [versions[:2], versions[2:]]
    finally:
        services.close()


def test_a_site_name_longer_than_the_workspace_allows_is_refused(tmp_path: Path) -> None:
    (tmp_path / "site.json").write_text(
        json.dumps({"slug": "ngo-mon", "names": {"vi": "Ngọ Môn " * 30, "en": "Meridian Gate"}})
    )
    with pytest.raises(InvalidInput, match=r"site\.json: names/vi: .* is too long"):
        read_site_spec(tmp_path)
    (tmp_path / "site.json").write_text(
        json.dumps(
            {
                "slug": "ngo-mon",
                "names": {"vi": "Ngọ Môn", "en": "Meridian Gate"},
                "descriptions": {"vi": "x" * 5000},
            }
        )
    )
    assert read_site_spec(tmp_path)["names"]["vi"] == "Ngọ Môn"

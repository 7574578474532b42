"""Direct uploads to a real S3 server (SeaweedFS): presigned POST, then a bundle naming the object."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from ar_service.app import create_app
from ar_service.db import upgrade
from ar_service.models import AssetVersion
from ar_service.services import Services
from ar_service.settings import Settings
from ar_service.storage.s3 import S3Storage
from tests.api.bundles import box_glb, bundle_files, make_zip
from tests.api.conftest import LIMITS, World, bearer
from tests.conftest import embedded_settings
from tests.services import SeaweedS3

pytestmark = pytest.mark.s3


@pytest.fixture
def settings(tmp_path: Path, seaweedfs: SeaweedS3) -> Settings:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    bucket = f"hue-ar-{uuid.uuid4().hex[:12]}"
    S3Storage(
        bucket,
        endpoint_url=seaweedfs.endpoint_url,
        access_key=seaweedfs.access_key,
        secret_key=seaweedfs.secret_key,
    ).ensure_bucket()
    return embedded_settings(
        instance,
        storage_url=f"s3://{bucket}/objects",
        s3_endpoint_url=seaweedfs.endpoint_url,
        s3_access_key=seaweedfs.access_key,
        s3_secret_key=seaweedfs.secret_key,
        extra={"bundle_limits": LIMITS},
        max_upload_bytes=16 * 1024 * 1024,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    upgrade(settings.database_url)
    app = create_app(settings)
    yield app
    app.extensions["hue_ar"].close()


def test_model_sent_straight_to_the_bucket_becomes_the_scene_model(
    client: FlaskClient, services: Services, world: World
) -> None:
    glb = box_glb()
    ticket = client.post(
        "/api/v1/uploads",
        json={"site": "thien-mu", "filename": "scan.glb", "bytes": len(glb)},
        headers=bearer(world.dev_a),
    ).get_json()
    send = ticket["upload"]
    assert send["method"] == "POST" and send["url"].startswith(services.settings.s3_endpoint_url or "")
    posted = requests.post(send["url"], data=send["fields"], files={"file": ("scan.glb", glb)}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    files = bundle_files(model={"file": ticket["ref"]})
    del files["models/tower.glb"]
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=make_zip(files),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code == 202, response.get_json()
    with services.session_factory() as session:
        model = session.get(AssetVersion, 1)
        assert model is not None and model.sha256 == hashlib.sha256(glb).hexdigest()
        assert services.storage.read_bytes(model.storage_key) == glb


def test_bucket_refuses_a_direct_upload_larger_than_announced(client: FlaskClient, world: World) -> None:
    ticket = client.post(
        "/api/v1/uploads",
        json={"site": "thien-mu", "filename": "scan.glb", "bytes": 100},
        headers=bearer(world.dev_a),
    ).get_json()
    send = ticket["upload"]
    posted = requests.post(
        send["url"], data=send["fields"], files={"file": ("scan.glb", bytes(5000))}, timeout=30
    )
    assert posted.status_code >= 400


def test_hostile_bundle_leaves_the_bucket_untouched(
    client: FlaskClient, services: Services, world: World
) -> None:
    files = bundle_files()
    files["markers/plaque.png"] = b"MZ" + bytes(100)
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=make_zip(files),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code == 400
    assert list(services.storage.iter_keys()) == []

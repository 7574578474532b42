"""A small world for the workspace: a site with a published and a submitted scene, a person per role."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from ar_service.models import (
    Asset,
    AssetKind,
    AssetVersion,
    Job,
    Role,
    Scene,
    SceneState,
    SceneVersion,
    Site,
    User,
)
from ar_service.services import Services
from ar_service.storage import Storage
from markers.qr import make_short_code

REPO = Path(__file__).resolve().parents[2]
MARKER_IMAGE = REPO / "assets" / "sample-mask" / "model" / "Image_0.jpg"  # CC BY-SA 4.0, see its LICENSE.md
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def marker_jpeg(side: int = 640) -> bytes:
    """The sample texture scaled down: real artwork, small enough to keep plaque rendering quick."""
    with Image.open(MARKER_IMAGE) as image:
        image.thumbnail((side, side))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@dataclass(frozen=True)
class World:
    site_id: int
    slug: str
    scene_id: int
    published_id: int  # v1, published
    submitted_id: int  # v2, in review
    model_version_id: int
    job_id: int
    users: dict[Role, int]
    v1_sha256: str
    v2_sha256: str


def _glb(session: Session, storage: Storage, asset: Asset, number: int, body: bytes) -> AssetVersion:
    stored = storage.put(body, content_type="model/gltf-binary", suffix=".glb")
    version = AssetVersion(
        asset=asset,
        number=number,
        storage_key=stored.key,
        sha256=stored.sha256,
        byte_size=stored.size,
        content_type=stored.content_type,
        filename=f"scene-v{number}.glb",
        derivatives={"levels": [{"level": "ar", "key": stored.key, "bytes": stored.size, "triangles": 12}]},
    )
    session.add(version)
    session.flush()
    return version


def build_world(services: Services) -> World:
    storage = services.storage
    with services.session_factory.begin() as session:
        users = {}
        for role in Role:
            user = User(email=f"{role}@example.org", name=str(role), role=role)
            user.set_password(PASSWORD)
            session.add(user)
            session.flush()
            users[role] = user.id
        site = Site(
            slug="ngo-mon",
            code=make_short_code(),
            latitude=16.4676,
            longitude=107.5790,
            names={"vi": "Ngọ Môn", "en": "Noon Gate"},
            descriptions={"en": "The main gate of the citadel."},
        )
        session.add(site)
        session.flush()
        model = Asset(kind=AssetKind.MODEL, name="gate", site_id=site.id)
        v1_model = _glb(session, storage, model, 1, b"glTF" + b"\1" * 512)
        v2_model = _glb(session, storage, model, 2, b"glTF" + b"\2" * 512)
        marker_asset = Asset(kind=AssetKind.MARKER, name="gate marker", site_id=site.id)
        stored = storage.put(marker_jpeg(), content_type="image/jpeg", suffix=".jpg")
        marker = AssetVersion(
            asset=marker_asset,
            number=1,
            storage_key=stored.key,
            sha256=stored.sha256,
            byte_size=stored.size,
            content_type="image/jpeg",
            filename="marker.jpg",
            licence={"attribution": "Badisches Landesmuseum Karlsruhe, CC BY-SA 4.0"},
        )
        session.add(marker)
        scene = Scene(site_id=site.id, title="Noon Gate")
        session.add(scene)
        session.flush()
        text = {
            "vi": {"title": "Cổng", "text": "Năm lối đi."},
            "en": {"title": "Gate", "text": "Five passages."},
        }
        v1 = SceneVersion(
            scene=scene,
            number=1,
            state=SceneState.PUBLISHED,
            model_version_id=v1_model.id,
            marker_version_id=marker.id,
            placement={"scale": 1.0},
            annotations=[{"id": "gate", "position": [0, 1, 0], "text": text}],
        )
        v2 = SceneVersion(
            scene=scene,
            number=2,
            state=SceneState.IN_REVIEW,
            model_version_id=v2_model.id,
            marker_version_id=marker.id,
            placement={"scale": 2.0},
            annotations=[
                {
                    "id": "gate",
                    "position": [0, 1, 0],
                    "text": {**text, "en": {"title": "Noon Gate", "text": "Five."}},
                }
            ],
        )
        session.add_all([v1, v2])
        session.flush()
        scene.published_version_id = v1.id
        job = Job(kind="model.process", payload={"asset_version_id": v2_model.id})
        session.add(job)
        session.flush()
        return World(
            site_id=site.id,
            slug=site.slug,
            scene_id=scene.id,
            published_id=v1.id,
            submitted_id=v2.id,
            model_version_id=v2_model.id,
            job_id=job.id,
            users=users,
            v1_sha256=v1_model.sha256,
            v2_sha256=v2_model.sha256,
        )


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


def csrf_token(client: FlaskClient) -> str:
    found = CSRF.search(client.get("/admin/login").get_data(as_text=True))
    assert found, "the login page carries a CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, role: Role, email: str | None = None) -> str:
    """Sign ``client`` in as the ``role`` user of the world (or ``email``); returns the CSRF token."""
    token = csrf_token(client)
    response = client.post(
        "/admin/login",
        data={"email": email or f"{role}@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return token


@pytest.fixture
def app_client_pair(app: Flask) -> tuple[FlaskClient, FlaskClient]:
    """Two browsers on the same app: one for the admin, one for the person being invited."""
    return app.test_client(), app.test_client()

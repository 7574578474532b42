"""Two sites, four people with tokens, and limits small enough to test quickly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ar_service.bundles import BundleLimits
from ar_service.models import ApiToken, Asset, AssetVersion, Job, Role, Scene, SceneVersion, Site, User
from ar_service.services import Services
from ar_service.settings import Settings
from tests.conftest import embedded_settings

MiB = 1024 * 1024
LIMITS = BundleLimits(
    max_entries=20,
    max_file_bytes=3 * MiB,
    max_total_bytes=8 * MiB,
    ratio_floor_bytes=64 * 1024,
    max_scene_json_bytes=64 * 1024,
    max_data_uri_bytes=1024,
    max_image_pixels=4096 * 4096,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)  # upgrade() runs before create_app() makes it
    return embedded_settings(instance, extra={"bundle_limits": LIMITS}, max_upload_bytes=16 * MiB)


@dataclass
class World:
    """Clear tokens of: developer of site A, developer of site B, a curator, an admin."""

    dev_a: str
    dev_b: str
    curator: str
    admin: str
    site_a: str = "thien-mu"
    site_b: str = "tu-duc"


@pytest.fixture
def world(services: Services) -> World:
    with services.session_factory.begin() as session:
        site_a = Site(
            slug="thien-mu", code="THM7K", names={"vi": "Chùa Thiên Mụ", "en": "Thien Mu"}, descriptions={}
        )
        site_b = Site(
            slug="tu-duc", code="TDC4M", names={"vi": "Lăng Tự Đức", "en": "Tomb of Tu Duc"}, descriptions={}
        )
        session.add_all([site_a, site_b])
        clear = {}
        for key, role, sites in (
            ("dev_a", Role.DEVELOPER, [site_a]),
            ("dev_b", Role.DEVELOPER, [site_b]),
            ("curator", Role.CURATOR, []),
            ("admin", Role.ADMIN, []),
        ):
            user = User(email=f"{key}@hue-ar.test", name=key, role=role)
            token, clear[key] = ApiToken.issue(user, f"{key} laptop", sites)
            session.add(token)
    return World(**clear)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


COUNTED = (Asset, AssetVersion, Scene, SceneVersion, Job)


def row_counts(services: Services) -> dict[str, int]:
    with services.session_factory() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}


def stored_keys(services: Services) -> list[str]:
    return sorted(services.storage.iter_keys())

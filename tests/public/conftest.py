"""A published site with real stored files, built through the same code paths as an import."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from ar_service.models import (
    Asset,
    AssetKind,
    AssetVersion,
    Scene,
    SceneState,
    SceneVersion,
    Site,
)
from ar_service.services import Services


@dataclass
class Published:
    slug: str
    code: str
    glb_key: str
    glb: bytes


@pytest.fixture
def published(services: Services) -> Published:
    storage = services.storage
    glb = b"glTF" + bytes(range(256)) * 40
    stored = storage.put(glb, content_type="model/gltf-binary", suffix=".glb")
    poster = storage.put(b"RIFF0000WEBPVP8 " + b"\0" * 64, content_type="image/webp", suffix=".webp")
    with services.session_factory.begin() as session:
        site = Site(
            slug="thien-mu",
            code="THM7K",
            names={"vi": "Chùa Thiên Mụ", "en": "Thien Mu Pagoda", "fr": "Pagode de la Dame céleste"},
            descriptions={
                "vi": "Ngôi chùa bảy tầng bên sông Hương.",
                "en": "A seven-storey pagoda on the Perfume River.",
            },
        )
        session.add(site)
        session.flush()
        asset = Asset(kind=AssetKind.MODEL, name="pagoda", site_id=site.id)
        version = AssetVersion(
            asset=asset,
            number=1,
            storage_key=stored.key,
            sha256=stored.sha256,
            byte_size=stored.size,
            content_type="model/gltf-binary",
            filename="pagoda.glb",
            derivatives={
                "levels": [
                    {
                        "level": "ar",
                        "key": stored.key,
                        "bytes": stored.size,
                        "triangles": 12,
                        "compression": "meshopt",
                    }
                ],
                "poster": {"key": poster.key, "bytes": poster.size},
            },
        )
        session.add(version)
        session.flush()
        scene = Scene(site_id=site.id, title="Pagoda")
        scene_version = SceneVersion(
            scene=scene,
            number=1,
            model_version_id=version.id,
            state=SceneState.PUBLISHED,
            annotations=[
                {
                    "id": "tower",
                    "position": [0, 20, 0],
                    "text": {
                        "vi": {"title": "Tháp Phước Duyên", "text": "Bảy tầng."},
                        "en": {"title": "Phuoc Duyen tower", "text": "Seven storeys."},
                    },
                }
            ],
        )
        session.add(scene_version)
        session.flush()
        scene.published_version_id = scene_version.id
        session.add(
            Site(
                slug="tu-duc",
                code="TDC4M",
                names={"vi": "Lăng Tự Đức", "en": "Tomb of Tu Duc"},
                descriptions={},
            )
        )
    return Published(slug="thien-mu", code="THM7K", glb_key=stored.key, glb=glb)


@pytest.fixture
def narrated(services: Services, published: Published) -> Published:
    """``published`` with a narration: Vietnamese audio with captions, English audio alone."""
    storage = services.storage
    files = {
        ("vi", "audio"): (b"ID3" + b"\0" * 64, "audio/mpeg", ".mp3", AssetKind.AUDIO),
        ("vi", "captions"): (
            "WEBVTT\n\n00:00.000 --> 00:01.000\nBảy tầng.\n".encode(),
            "text/vtt",
            ".vtt",
            AssetKind.CAPTIONS,
        ),
        ("en", "audio"): (b"ID3" + b"\1" * 64, "audio/mpeg", ".mp3", AssetKind.AUDIO),
    }
    narration: dict[str, dict[str, int]] = {}
    with services.session_factory.begin() as session:
        site = session.scalars(select(Site).where(Site.slug == published.slug)).one()
        for (language, role), (data, content_type, suffix, kind) in files.items():
            stored = storage.put(data, content_type=content_type, suffix=suffix)
            version = AssetVersion(
                asset=Asset(kind=kind, name=f"{language}-{role}", site_id=site.id),
                number=1,
                storage_key=stored.key,
                sha256=stored.sha256,
                byte_size=stored.size,
                content_type=content_type,
                filename=f"{language}{suffix}",
            )
            session.add(version)
            session.flush()
            narration.setdefault(language, {})[role] = version.id
        scene = session.scalars(select(Scene).where(Scene.site_id == site.id)).one()
        shown = scene.published_version
        assert shown is not None, "the published fixture publishes its scene"
        shown.narration = narration
    return published

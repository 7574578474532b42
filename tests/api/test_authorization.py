"""Every /api/v1 route × {anonymous, developer of site A, developer of site B, curator, admin}."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from ar_service.models import Asset, AssetKind, AssetVersion, Job, Scene, SceneVersion, Site
from ar_service.services import Services
from tests.api.bundles import bundle_files, make_zip
from tests.api.conftest import World, bearer

PRINCIPALS = ("anonymous", "dev_a", "dev_b", "curator", "admin")


@dataclass(frozen=True)
class Ids:
    scene: int
    job: int
    upload_url: str


@pytest.fixture
def ids(client: FlaskClient, services: Services, world: World) -> Ids:
    """A draft scene of site A with a job, made directly (no processing), and dev A's upload."""
    with services.session_factory.begin() as session:
        site = session.query(Site).filter_by(slug=world.site_a).one()
        stored = services.storage.put(b"glTF", content_type="model/gltf-binary", suffix=".glb")
        asset = Asset(kind=AssetKind.MODEL, name="tower", site_id=site.id)
        version = AssetVersion(
            asset=asset,
            number=1,
            storage_key=stored.key,
            sha256=stored.sha256,
            byte_size=stored.size,
            content_type=stored.content_type,
            filename="tower.glb",
        )
        scene = Scene(site_id=site.id, title="Tháp")
        session.add_all([asset, version, scene])
        session.flush()
        session.add(SceneVersion(scene=scene, number=1, model_version_id=version.id))
        job = Job(kind="model.process", payload={"asset_version_id": version.id})
        session.add(job)
        session.flush()
        scene_id, job_id = scene.id, job.id
    ticket = client.post(
        "/api/v1/uploads",
        json={"site": world.site_a, "filename": "a.glb", "bytes": 4},
        headers=bearer(world.dev_a),
    )
    return Ids(scene_id, job_id, ticket.get_json()["upload"]["url"])


def _zip() -> dict[str, Any]:
    return {"data": make_zip(bundle_files()), "content_type": "application/zip"}


# (method, url template, request kwargs, expected status per principal in PRINCIPALS order)
MATRIX: list[tuple[str, str, dict[str, Any], tuple[int, ...]]] = [
    ("get", "/api/v1/sites/thien-mu/scene", {}, (200, 200, 200, 200, 200)),
    ("post", "/api/v1/beacons", {"json": {"site": "thien-mu", "event": "page"}}, (204,) * 5),
    ("get", "/api/v1/openapi.json", {}, (200,) * 5),
    ("get", "/api/v1/docs", {}, (200,) * 5),
    ("get", "/api/v1/schema/scene.json", {}, (200,) * 5),
    (
        "post",
        "/api/v1/uploads",
        {"json": {"site": "thien-mu", "filename": "b.glb", "bytes": 10}},
        (401, 201, 403, 201, 201),
    ),
    ("get", "{upload_url}", {}, (401, 200, 403, 403, 403)),
    ("put", "{upload_url}", {"data": b"glTF"}, (401, 201, 403, 403, 403)),
    ("post", "/api/v1/sites/thien-mu/scenes", _zip(), (401, 202, 403, 202, 202)),
    ("post", "/api/v1/scenes/{scene}/versions", _zip(), (401, 202, 403, 202, 202)),
    ("get", "/api/v1/scenes", {}, (401, 200, 200, 200, 200)),
    ("get", "/api/v1/scenes/{scene}", {}, (401, 200, 403, 200, 200)),
    ("get", "/api/v1/scenes/{scene}/versions/1", {}, (401, 200, 403, 200, 200)),
    ("post", "/api/v1/scenes/{scene}/versions/1/submit", {}, (401, 200, 403, 200, 200)),
    ("post", "/api/v1/scenes/{scene}/versions/1/preview", {}, (401, 200, 403, 200, 200)),
    ("get", "/api/v1/jobs/{job}", {}, (401, 200, 403, 200, 200)),
]


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(
    ("method", "url", "kwargs", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _, _ in MATRIX]
)
def test_route_answers_each_principal_as_expected(
    client: FlaskClient,
    world: World,
    ids: Ids,
    principal: str,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    expected: tuple[int, ...],
) -> None:
    headers = {} if principal == "anonymous" else bearer(getattr(world, principal))
    target = url.format(scene=ids.scene, job=ids.job, upload_url=ids.upload_url)
    response = getattr(client, method)(target, headers=headers, **kwargs)
    assert response.status_code == expected[PRINCIPALS.index(principal)], response.get_data(as_text=True)[
        :300
    ]

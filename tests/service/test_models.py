from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ar_service.db import upgrade
from ar_service.localised import Localised
from ar_service.models import (
    ApiToken,
    Asset,
    AssetKind,
    AssetVersion,
    Role,
    Scene,
    SceneState,
    SceneVersion,
    Site,
    User,
    hash_token,
)
from hue_errors import Conflict


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    upgrade(database_url)
    engine = create_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _site(session: Session) -> Site:
    site = Site(
        slug="thien-mu", code="THM7K", names={"vi": "Chùa Thiên Mụ", "en": "Thien Mu Pagoda"}, descriptions={}
    )
    session.add(site)
    session.commit()
    return site


def test_site_text_falls_back_to_english_then_vietnamese(session: Session) -> None:
    site = _site(session)
    assert site.in_language("names", "ja") == Localised("en", "Thien Mu Pagoda")
    assert site.text("names", "vi") == "Chùa Thiên Mụ"
    site.names = {"vi": "Chùa Thiên Mụ"}
    assert site.in_language("names", "ko") == Localised("vi", "Chùa Thiên Mụ")
    assert site.in_language("descriptions", "ko") == Localised("ko", "")


def test_asset_version_content_cannot_change(session: Session) -> None:
    asset = Asset(kind=AssetKind.MODEL, name="pagoda", site_id=_site(session).id)
    version = AssetVersion(
        asset=asset,
        number=1,
        storage_key="sha256/ab/abc.glb",
        sha256="ab" * 32,
        byte_size=10,
        content_type="model/gltf-binary",
        filename="pagoda.glb",
    )
    session.add(version)
    session.commit()
    version.derivatives = {"levels": []}
    session.commit()
    version.sha256 = "cd" * 32
    with pytest.raises(Conflict, match="sha256 cannot change"):
        session.commit()


def test_scene_workflow_refuses_skipping_review(session: Session) -> None:
    scene = Scene(site_id=_site(session).id, title="Pagoda")
    version = SceneVersion(scene=scene, number=1)
    session.add(version)
    session.commit()
    assert version.state is SceneState.DRAFT
    with pytest.raises(Conflict, match="cannot go from draft to published"):
        version.move_to(SceneState.PUBLISHED)
    for state in (
        SceneState.IN_REVIEW,
        SceneState.APPROVED,
        SceneState.PUBLISHED,
        SceneState.RETIRED,
        SceneState.PUBLISHED,
    ):
        version.move_to(state)
    session.commit()
    assert session.scalar(select(SceneVersion.state)) is SceneState.PUBLISHED


def test_api_token_is_stored_only_as_a_hash(session: Session) -> None:
    user = User(email="dev@example.org", role=Role.DEVELOPER)
    site = _site(session)
    token, clear = ApiToken.issue(user, "laptop", [site])
    session.add(token)
    session.commit()
    stored = session.scalar(select(ApiToken))
    assert stored is not None
    assert stored.token_hash == hash_token(clear)
    assert clear not in (stored.token_hash, stored.hint)
    assert [s.slug for s in stored.sites] == ["thien-mu"]


def test_password_is_hashed_and_checked(session: Session) -> None:
    user = User(email="curator@example.org", role=Role.CURATOR)
    user.set_password("lotus pond 1802")
    session.add(user)
    session.commit()
    assert "lotus" not in user.password_hash
    assert user.check_password("lotus pond 1802")
    assert not user.check_password("lotus pond 1803")

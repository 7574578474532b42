"""The read cache: changes show at once in this process, within its TTL from others; counts keep it."""

from __future__ import annotations

import json
import time

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ar_service.db import make_engine, make_session_factory
from ar_service.models import Site, SiteStatus
from ar_service.read_cache import ReadCache
from ar_service.services import Services
from tests.public.conftest import Published

URL = "/api/v1/sites/thien-mu/scene?lang=en"


def _rename(factory: sessionmaker[Session], name: str) -> None:
    with factory.begin() as session:
        site = session.scalar(select(Site).where(Site.slug == "thien-mu"))
        assert site is not None
        site.names = {**site.names, "en": name}


def test_a_change_committed_here_shows_at_once(
    client: FlaskClient, services: Services, published: Published
) -> None:
    assert client.get(URL).get_json()["site"]["name"] == "Thien Mu Pagoda"
    _rename(services.session_factory, "Thien Mu, renamed")
    assert client.get(URL).get_json()["site"]["name"] == "Thien Mu, renamed"


def test_visits_counted_keep_the_cached_manifest(
    client: FlaskClient, services: Services, published: Published
) -> None:
    client.get(URL)
    builds: list[str] = []

    def build() -> bytes:
        builds.append("built")
        return b"{}"

    services.reads.get(("scene", "thien-mu", "en"), build)
    assert builds == []  # cached
    client.get("/q/THM7K")
    beacon = json.dumps({"site": "thien-mu", "events": [{"event": "page"}]})
    assert client.post("/api/v1/beacons", data=beacon).status_code == 204
    services.reads.get(("scene", "thien-mu", "en"), build)
    assert builds == []  # still cached after the scan and the beacon were written


def test_another_process_change_shows_within_the_ttl(services: Services, published: Published) -> None:
    cache = ReadCache(services.session_factory, ttl_s=0.3)
    other_process = make_session_factory(make_engine(services.settings.database_url))

    def name() -> bytes:
        with services.session_factory() as session:
            site = session.scalar(select(Site).where(Site.slug == "thien-mu"))
            assert site is not None
            return str(site.names["en"]).encode()

    assert cache.get("k", name) == b"Thien Mu Pagoda"
    _rename(other_process, "Changed elsewhere")  # not seen by this process's session events
    assert cache.get("k", name) == b"Thien Mu Pagoda"
    time.sleep(0.35)
    assert cache.get("k", name) == b"Changed elsewhere"


def test_a_site_retired_here_stops_its_qr_code_at_once(
    client: FlaskClient, services: Services, published: Published
) -> None:
    assert client.get("/q/THM7K").status_code == 302  # where the code leads is now cached
    with services.session_factory.begin() as session:
        site = session.scalar(select(Site).where(Site.slug == "thien-mu"))
        assert site is not None
        site.status = SiteStatus.RETIRED
    retired = client.get("/q/THM7K")
    assert retired.status_code == 404
    assert "no longer shown" in retired.get_data(as_text=True)

"""A beacon's device class is the one the viewer reports, where the server knows it; QR scans are
classed by their User-Agent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ar_service.analytics import DEVICE_CLASSES
from ar_service.models import ScanEvent
from ar_service.services import Services
from tests.public.conftest import Published

# iPadOS Safari presents a Mac's User-Agent; the viewer sees the touch screen and says tablet-ios.
IPAD = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36"
)
CHROMEBOOK = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"


def send(client: FlaskClient, device: Any, user_agent: str) -> int:
    """A beacon as the viewer sends it (sendBeacon: text/plain); ``device`` ``...`` leaves it out."""
    body: dict[str, Any] = {"site": "thien-mu", "language": "vi", "events": [{"event": "page"}]}
    if device is not ...:
        body["device"] = device
    headers = {"Content-Type": "text/plain;charset=UTF-8", "User-Agent": user_agent}
    return client.post("/api/v1/beacons", data=json.dumps(body), headers=headers).status_code


def counted(services: Services) -> list[str]:
    with services.session_factory() as session:
        return list(session.scalars(select(ScanEvent.device_class).order_by(ScanEvent.id)))


@pytest.mark.parametrize("device", ["tablet-ios", "mobile-android", "desktop-other", "other"])
def test_a_known_device_class_is_counted_as_reported(
    client: FlaskClient, services: Services, published: Published, device: str
) -> None:
    assert send(client, device, IPAD) == 204
    assert counted(services) == [device]


@pytest.mark.parametrize("device", ["spaceship", "TABLET-IOS", "tablet-ios ", "", None, ...])
def test_another_or_no_device_class_counts_as_the_user_agents(
    client: FlaskClient, services: Services, published: Published, device: Any
) -> None:
    assert send(client, device, IPAD) == 204
    assert send(client, device, ANDROID) == 204
    assert send(client, device, CHROMEBOOK) == 204
    assert counted(services) == ["desktop-macos", "mobile-android", "desktop-linux"]


@pytest.mark.parametrize("device", [7, True, ["mobile-ios"], {"class": "mobile-ios"}])
def test_a_device_that_is_not_a_string_is_refused(
    client: FlaskClient, services: Services, published: Published, device: Any
) -> None:
    response = client.post("/api/v1/beacons", json={"site": "thien-mu", "event": "page", "device": device})
    assert response.status_code == 400
    assert '"device" must be a device class' in response.get_json()["detail"]
    assert counted(services) == []


def test_a_qr_scan_is_classed_by_its_user_agent(
    client: FlaskClient, services: Services, published: Published
) -> None:
    for agent in (ANDROID, CHROMEBOOK, ""):
        assert client.get(f"/q/{published.code}", headers={"User-Agent": agent}).status_code == 302
    assert counted(services) == ["mobile-android", "desktop-linux", "other"]
    assert set(counted(services)) <= DEVICE_CLASSES

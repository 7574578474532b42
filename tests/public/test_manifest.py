import io
import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from ar_service.models import ScanEvent
from ar_service.services import Services
from tests.public.conftest import Published


def test_manifest_lists_files_with_sizes_and_localised_texts(
    client: FlaskClient, published: Published
) -> None:
    response = client.get("/api/v1/sites/thien-mu/scene", headers={"Accept-Language": "vi"})
    assert response.status_code == 200
    manifest = response.get_json()
    scene = manifest["scene"]
    assert manifest["site"] == {
        "slug": "thien-mu",
        "code": "THM7K",
        "name": "Chùa Thiên Mụ",
        "name_language": "vi",
        "language": "vi",
    }
    assert scene["models"] == [
        {
            "level": "ar",
            "url": f"/files/{published.glb_key}",
            "bytes": len(published.glb),
            "triangles": 12,
            "compression": "meshopt",
        }
    ]
    assert scene["annotations"][0]["title"] == "Tháp Phước Duyên"
    assert f"/files/{published.glb_key}" in manifest["pack"]["urls"]
    assert manifest["pack"]["bytes"] == len(published.glb) + scene["poster"]["bytes"]


def test_a_missing_translation_is_english_and_says_so(client: FlaskClient, narrated: Published) -> None:
    manifest = client.get("/api/v1/sites/thien-mu/scene?lang=ko").get_json()
    assert manifest["site"] | {"slug": None, "code": None} == {
        "slug": None,
        "code": None,
        "name": "Thien Mu Pagoda",
        "name_language": "en",
        "language": "ko",
    }
    scene = manifest["scene"]
    assert scene["alt"] == "Thien Mu Pagoda"
    [note] = scene["annotations"]
    assert (note["title"], note["text"], note["language"]) == ("Phuoc Duyen tower", "Seven storeys.", "en")
    # English narration has no captions: the English audio alone, not the Vietnamese with its captions.
    assert scene["audio"]["language"] == "en" and scene["captions"] is None
    french = client.get("/api/v1/sites/thien-mu/scene?lang=fr").get_json()
    assert (french["site"]["name"], french["site"]["name_language"]) == ("Pagode de la Dame céleste", "fr")
    assert french["scene"]["annotations"][0]["language"] == "en"
    vietnamese = client.get("/api/v1/sites/thien-mu/scene?lang=vi").get_json()["scene"]
    assert vietnamese["audio"]["language"] == vietnamese["captions"]["language"] == "vi"
    assert vietnamese["audio"]["url"] != scene["audio"]["url"]


def test_manifest_is_cacheable_with_etag(client: FlaskClient, published: Published) -> None:
    first = client.get("/api/v1/sites/thien-mu/scene?lang=en")
    assert "max-age=60" in first.headers["Cache-Control"]
    again = client.get(
        "/api/v1/sites/thien-mu/scene?lang=en", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_unknown_site_manifest_is_problem_json(client: FlaskClient, published: Published) -> None:
    response = client.get("/api/v1/sites/nowhere/scene")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["detail"] == "no active site with slug 'nowhere'"


def test_beacon_counts_an_event_without_identifiers(
    client: FlaskClient, services: Services, published: Published
) -> None:
    body = json.dumps({"site": "thien-mu", "event": "ar_started", "detail": "image", "language": "ko"})
    response = client.post(
        "/api/v1/beacons",
        data=body,
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile"},
    )
    assert response.status_code == 204
    assert "Set-Cookie" not in response.headers
    with services.session_factory() as session:
        event = session.scalar(select(ScanEvent))
        assert event is not None
        assert (event.kind, event.detail, event.language, event.device_class) == (
            "ar_started",
            "image",
            "ko",
            "mobile-android",
        )


def test_a_visits_events_are_counted_from_one_beacon(
    client: FlaskClient, services: Services, published: Published
) -> None:
    events = [{"event": "page"}, {"event": "ar_started", "detail": "marker"}, {"event": "marker_found"}]
    body = json.dumps({"site": "thien-mu", "language": "ja", "events": events})
    response = client.post("/api/v1/beacons", data=body, headers={"User-Agent": "Mozilla/5.0 (iPhone)"})
    assert response.status_code == 204
    with services.session_factory() as session:
        counted = session.scalars(select(ScanEvent).order_by(ScanEvent.id)).all()
        assert [(e.kind, e.detail, e.language, e.device_class) for e in counted] == [
            ("page", "", "ja", "mobile-ios"),
            ("ar_started", "marker", "ja", "mobile-ios"),
            ("marker_found", "", "ja", "mobile-ios"),
        ]


def test_bad_beacons_are_refused_with_a_reason(
    client: FlaskClient, services: Services, published: Published
) -> None:
    cases = [
        (b"not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"[" * 2000 + b"]" * 2000, "nested too deeply"),
        (b'{"site": "thien-mu", "events": [{"event": "page", "detail": NaN}]}', "NaN is not a JSON number"),
        (json.dumps({"site": "thien-mu", "event": "dance"}).encode(), "unknown event 'dance'"),
        (json.dumps({"site": "thien-mu", "event": "scan"}).encode(), "scans are counted"),
        (json.dumps({"site": "nowhere", "event": "page"}).encode(), "no active site"),
        (b"{" + b" " * 8192 + b"}", "at most 4096"),
        (json.dumps({"site": "thien-mu", "events": []}).encode(), "list of 1–20 objects"),
        (json.dumps({"site": "thien-mu", "events": [{"event": "page"}] * 21}).encode(), "list of 1–20"),
        (json.dumps({"site": "thien-mu", "events": ["page"]}).encode(), "list of 1–20 objects"),
        # One bad event refuses the whole batch: nothing of it is counted.
        (
            json.dumps({"site": "thien-mu", "events": [{"event": "page"}, {"event": "dance"}]}).encode(),
            "dance",
        ),
    ]
    for body, message in cases:
        response = client.post("/api/v1/beacons", data=body)
        assert 400 <= response.status_code < 500, body
        assert message in response.get_json()["detail"]
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ScanEvent)) == 0


class CountingStream(io.BytesIO):
    """A request body that counts what the server read of it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.taken += count
        return count


def test_an_oversized_beacon_is_refused_unread(client: FlaskClient, published: Published) -> None:
    body = CountingStream(b"x" * 10 * 1024 * 1024)
    response = client.post(
        "/api/v1/beacons", input_stream=body, headers={"Content-Length": str(10 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert "over 4096 bytes" in response.get_json()["detail"]
    assert body.taken == 0

"""The scene page shows what a visitor reading each language gets, before the curator publishes."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from ar_service.admin.coverage import language_coverage
from ar_service.models import Role, SceneVersion, Site
from tests.admin.conftest import World, sign_in


def test_each_language_gets_its_own_texts_or_the_english_ones() -> None:
    site = Site(names={"vi": "Ngọ Môn", "en": "Noon Gate"}, descriptions={"en": "The main gate."})
    version = SceneVersion(
        annotations=[
            {"id": "gate", "text": {"vi": {"title": "Cổng"}, "en": {"title": "Gate"}}},
            {"id": "roof", "text": {"vi": {"title": "Mái"}, "fr": {"title": "Toit"}}},
        ],
        narration={"vi": {"audio": 1, "captions": 2}, "en": {"audio": 3}},
    )
    rows = {row.language: row for row in language_coverage(site, version)}
    assert list(rows) == ["vi", "en", "fr", "zh", "ko", "ja"]
    vi, en, fr, ko = rows["vi"], rows["en"], rows["fr"], rows["ko"]
    assert (vi.name, vi.description, vi.annotations, vi.narration, vi.captions) == (
        "vi",
        "en",
        ("vi", "vi"),
        "vi",
        True,
    )
    assert not vi.complete  # its description is English
    assert (en.annotations, en.narration, en.captions) == (("en", "vi"), "en", False)
    assert (fr.name, fr.annotations, fr.narration) == ("en", ("en", "fr"), "en")
    assert fr.annotations_by_language == {"fr": 1, "en": 1}
    assert ko.annotations_by_language == {"en": 1, "vi": 1}
    complete = SceneVersion(annotations=[], narration={})
    assert [
        row.complete
        for row in language_coverage(Site(names={"vi": "A", "en": "A"}, descriptions={}), complete)
    ] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_the_scene_page_tabulates_the_languages(client: FlaskClient, world: World) -> None:
    sign_in(client, Role.CURATOR)
    page = client.get(f"/admin/scenes/{world.scene_id}?version={world.submitted_id}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-language="(\w+)"[^>]*>(.*?)</tr>', page, re.S))
    assert list(rows) == ["vi", "en", "fr", "zh", "ko", "ja"]
    cells = {lang: re.findall(r"<td>(.*?)</td>", row, re.S) for lang, row in rows.items()}
    # The site's description is English only; the annotation is in Vietnamese and English; no narration.
    assert cells["vi"] == ["✓", "→ en", "1 ✓", "—"]
    assert cells["en"] == ["✓", "✓", "1 ✓", "—"]
    assert cells["ja"] == ["→ en", "→ en", "1 → en", "—"]
    assert 'data-language="en">' in page and 'data-language="vi" class="fallback"' in page

"""Catalogs: tourists' pages speak all six languages; the curator workspace speaks Vietnamese and English."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "ar_service" / "translations"
LANGUAGES = ["vi", "fr", "zh", "ko", "ja"]
# What a tourist sees: the public pages, the viewer's strings and the error page.
TOURIST_SOURCES = [
    ("templates/public/**.html", "jinja2"),
    ("templates/base.html", "jinja2"),
    ("templates/error.html", "jinja2"),
    ("i18n.py", "python"),
    ("public/**.py", "python"),
]
ALL_SOURCES = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _translated(language: str) -> set[str]:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {_msgid(m.id) for m in read_po(po) if m.id and m.string and not m.fuzzy}


def _msgid(message: str | tuple[str, ...] | list[str]) -> str:
    """The singular id: plural messages carry (singular, plural)."""
    return message if isinstance(message, str) else message[0]


def _extracted(sources: list[tuple[str, str]]) -> set[str]:
    return {_msgid(found[2]) for found in extract_from_dir(ROOT / "ar_service", sources) if found[2]}


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    expected = {m.id: m.string for m in source if m.id and m.string and not m.fuzzy}
    assert {m.id: m.string for m in compiled if m.id} == expected, (
        "run: pybabel compile -d ar_service/translations"
    )


def test_template_is_current() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        listed = {_msgid(m.id) for m in read_po(pot) if m.id}
    assert _extracted(ALL_SOURCES) - listed == set(), (
        "run: pybabel extract -F babel.cfg -o ar_service/translations/messages.pot ."
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_tourist_string_is_translated(language: str) -> None:
    assert _extracted(TOURIST_SOURCES) - _translated(language) == set()


def test_curator_workspace_is_translated_to_vietnamese() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        wanted = {_msgid(m.id) for m in read_po(pot) if m.id}
    assert wanted - _translated("vi") == set()

"""Which of a site's texts a reader of each language is given."""

from __future__ import annotations

import pytest

from ar_service.localised import Localised, localised

NAMES = {"vi": "Chùa Thiên Mụ", "en": "Thien Mu Pagoda", "fr": "Pagode de la Dame céleste"}


@pytest.mark.parametrize(
    ("language", "given"),
    [("vi", "vi"), ("en", "en"), ("fr", "fr"), ("zh", "en"), ("ko", "en"), ("ja", "en")],
)
def test_a_missing_translation_falls_back_to_english_first(language: str, given: str) -> None:
    assert localised(NAMES, language) == Localised(given, NAMES[given])


def test_without_english_vietnamese_then_any_text_is_given() -> None:
    assert localised({"vi": "Bảy tầng.", "fr": "Sept étages."}, "ko") == Localised("vi", "Bảy tầng.")
    assert localised({"fr": "Sept étages."}, "ja") == Localised("fr", "Sept étages.")


def test_an_empty_entry_counts_as_missing() -> None:
    assert localised({"ko": "", "en": "", "vi": "Bảy tầng."}, "ko") == Localised("vi", "Bảy tầng.")
    assert localised({"vi": ""}, "vi") is None
    assert localised({}, "en") is None

"""Texts kept per language (``{"vi": …, "en": …}``) and the one a reader of a language is given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Localised(Generic[_T]):
    """An entry and the language it is in (which a page marks where it is not the page's own)."""

    language: str
    value: _T


def localised(texts: Mapping[str, _T], language: str) -> Localised[_T] | None:
    """The entry in ``language``; where that is missing or empty, the English one, then the
    Vietnamese one, then the first entry that is not empty (None if there is none). English comes
    before Vietnamese because the site's foreign visitors (French, Chinese, Korean, Japanese) far
    more often read English than Vietnamese; a Vietnamese reader is given Vietnamese first."""
    for lang in (language, "en", "vi", *texts):
        if texts.get(lang):
            return Localised(lang, texts[lang])
    return None

"""What a scene version gives a tourist reading each language: the texts in that language, and
those that fall back to another (``ar_service.localised``), for the curator to see before publishing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ar_service.localised import localised
from ar_service.models import SceneVersion, Site
from ar_service.settings import LANGUAGES


@dataclass(frozen=True)
class Coverage:
    """Per field, the language a reader of ``language`` is given it in (None: there is none)."""

    language: str
    name: str
    description: str | None
    annotations: tuple[str | None, ...]  # one per annotation, in the scene's order
    narration: str | None
    captions: bool  # the narration given has captions

    @property
    def annotations_by_language(self) -> dict[str | None, int]:
        """How many annotations are given in each language, ``language`` first."""
        counts = Counter(self.annotations)
        return dict(sorted(counts.items(), key=lambda item: (item[0] != self.language, str(item[0]))))

    @property
    def complete(self) -> bool:
        """Everything the scene has is given in ``language`` itself."""
        given = (self.name, self.description, *self.annotations, self.narration)
        return all(lang in (None, self.language) for lang in given)


def language_coverage(site: Site, version: SceneVersion) -> list[Coverage]:
    """One row per served language, in ``LANGUAGES`` order."""
    rows = []
    for language in LANGUAGES:
        description = localised(site.descriptions or {}, language)
        narration = localised(version.narration or {}, language)
        rows.append(
            Coverage(
                language=language,
                name=site.in_language("names", language).language,
                description=description.language if description else None,
                annotations=tuple(
                    found.language if (found := localised(note.get("text") or {}, language)) else None
                    for note in version.annotations
                ),
                narration=narration.language if narration else None,
                captions=bool(narration and narration.value.get("captions")),
            )
        )
    return rows

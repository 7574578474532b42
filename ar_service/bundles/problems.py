"""What is wrong with a bundle: a list of (file, problem) pairs carried by one error."""

from __future__ import annotations

from dataclasses import dataclass

from hue_errors import InvalidInput, TooLarge


@dataclass(frozen=True)
class Problem:
    file: str  # path inside the bundle ("scene.json", "models/hall.gltf"), or "" for the bundle itself
    problem: str

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "problem": self.problem}


class BundleInvalid(InvalidInput):
    """A bundle was refused; ``problems`` lists every finding, each naming its file."""

    code = "invalid_bundle"

    def __init__(self, problems: list[Problem], *, too_large: bool = False) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first.file or 'bundle'}: {first.problem}{more}")
        self.problems = problems
        if too_large:
            self.http_status = TooLarge.http_status
            self.code = TooLarge.code


def refuse(file: str, problem: str, *, too_large: bool = False) -> BundleInvalid:
    """One-problem shorthand: ``raise refuse("models/a.glb", "…")``."""
    return BundleInvalid([Problem(file, problem)], too_large=too_large)

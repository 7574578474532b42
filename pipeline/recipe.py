"""Recipes as data (like Smithsonian Cook's): a named LOD ladder plus clean and encoding settings.

``pipeline/recipes/<name>.json`` files are validated into frozen dataclasses; unknown keys and
wrong types are refused, so a typo in a recipe fails loudly instead of silently using a default.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, get_args

from hue_errors import InvalidInput
from hue_json import MalformedJson, parse_json
from pipeline.clean import CleanOptions
from pipeline.glb_write import GeometryCodec
from pipeline.textures import TextureFormat

LEVEL_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")
SCALAR_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "str": str,
}


@dataclass(frozen=True)
class LevelSpec:
    """One output: ``target_triangles`` (never more than the source has), ``texture_px`` the
    longest texture side, ``max_error`` the simplifier's bound as a fraction of the extent."""

    name: str
    target_triangles: int
    texture_px: int
    texture_format: TextureFormat = "webp"
    # WebP 80 is libwebp's (and sharp's, so gltf-transform's) default: on the mask's 1024 px atlas
    # it takes 110 KiB against 139 KiB at 85, for a mean texel error of 2.9 against 2.6 of 255.
    texture_quality: int = 80
    geometry: GeometryCodec = "draco"  # by measurement, see EncodeOptions
    max_error: float = 0.02


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    levels: tuple[LevelSpec, ...]
    clean: CleanOptions = field(default_factory=CleanOptions)
    position_bits: int = 14
    poster_px: int = 0  # side of poster.webp rendered from the smallest level; 0 = none
    usdz_level: str = ""  # level also written as <level>.usdz for iOS Quick Look; "" = none
    # When seam-locked decimation of a textured scan stops above this multiple of a level's target,
    # decimate ignoring seams, re-unwrap and bake colour from the full scan instead (0 = never).
    rebake_above: float = 1.5
    # Write materials as KHR_materials_unlit (captured colour, no scene lighting): see EncodeOptions.
    unlit: bool = False
    # A level is simplified from the smallest larger level holding at least this multiple of its
    # target, instead of from the full scan (0 = always from the full scan).
    cascade_above: float = 3.0
    # Move each simplified level's vertices onto the scan (pipeline.fit): lower surface error for
    # the same triangles and bytes.
    fit: bool = True


def _checked(cls: type[Any], data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(f"recipe: {where}: expected an object")
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise InvalidInput(f"recipe: {where}: unknown keys {sorted(unknown)} (allowed: {sorted(known)})")
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    if missing := required - set(data):
        raise InvalidInput(f"recipe: {where}: missing keys {sorted(missing)}")
    for key, value in data.items():
        kind = known[key].type
        allowed = SCALAR_TYPES.get(str(kind))
        if allowed is not None and (
            not isinstance(value, allowed) or (kind != "bool" and isinstance(value, bool))
        ):
            raise InvalidInput(f"recipe: {where}.{key}: expected {kind}, got {value!r}")
    return data


def parse_recipe(data: Any, where: str) -> Recipe:
    """Validate a recipe object (as loaded from JSON) into a Recipe."""
    body = dict(_checked(Recipe, data, where))
    if not isinstance(body["levels"], list):
        raise InvalidInput(f"recipe: {where}.levels: expected a list of level objects")
    levels = []
    for i, level in enumerate(body["levels"]):
        spec = LevelSpec(**_checked(LevelSpec, level, f"{where}.levels[{i}]"))
        if not set(spec.name) <= LEVEL_NAME_CHARS or not spec.name:
            raise InvalidInput(f"recipe: {where}.levels[{i}].name {spec.name!r}: use a-z, 0-9, _ and - only")
        if (
            spec.target_triangles < 1
            or not 1 <= spec.texture_px <= 16384
            or not 1 <= spec.texture_quality <= 100
            or not 0 < spec.max_error <= 1
        ):
            raise InvalidInput(
                f"recipe: {where}.levels[{i}]: triangles ≥ 1, texture_px 1–16384, quality 1–100, "
                "max_error above 0 and at most 1"
            )
        if spec.texture_format not in get_args(TextureFormat) or spec.geometry not in get_args(GeometryCodec):
            raise InvalidInput(f"recipe: {where}.levels[{i}]: unknown texture format or geometry codec")
        levels.append(spec)
    if not levels or len({level.name for level in levels}) != len(levels):
        raise InvalidInput(f"recipe: {where}: needs at least one level, with distinct names")
    body["levels"] = tuple(levels)
    if "clean" in body:
        clean = CleanOptions(**_checked(CleanOptions, body["clean"], f"{where}.clean"))
        if not (0 <= clean.min_component_triangles <= 1 and 0 <= clean.min_component_diagonal <= 1):
            raise InvalidInput(f"recipe: {where}.clean: min_component_triangles and _diagonal are 0–1")
        body["clean"] = clean
    if body.get("usdz_level", "") not in ("", *(level.name for level in levels)):
        raise InvalidInput(f"recipe: {where}.usdz_level: must name one of the levels")
    if not 0 <= body.get("poster_px", 0) <= 4096:
        raise InvalidInput(f"recipe: {where}.poster_px: expected 0–4096")
    if not 8 <= body.get("position_bits", 14) <= 16:
        raise InvalidInput(f"recipe: {where}.position_bits: expected 8–16")
    if body.get("rebake_above", 1.5) != 0 and not 1 <= body.get("rebake_above", 1.5) <= 100:
        raise InvalidInput(f"recipe: {where}.rebake_above: expected 0 (never) or 1–100")
    if body.get("cascade_above", 3.0) != 0 and not 1 <= body.get("cascade_above", 3.0) <= 100:
        raise InvalidInput(f"recipe: {where}.cascade_above: expected 0 (never) or 1–100")
    return Recipe(**body)


def recipe_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".json")
        for p in resources.files("pipeline.recipes").iterdir()
        if p.name.endswith(".json")
    )


def load_recipe(name: str) -> Recipe:
    """The bundled recipe ``name`` (see :func:`recipe_names`), or the recipe file ``name`` if it
    ends in ``.json`` (same schema as ``pipeline/recipes/web.json``)."""
    if name.endswith(".json"):
        try:
            data = parse_json(Path(name).read_bytes())
        except OSError as exc:
            raise InvalidInput(f"recipe: {Path(name).name}: cannot be read ({exc.strerror})") from None
        except MalformedJson as exc:
            raise InvalidInput(f"recipe: {Path(name).name}: not a JSON recipe ({exc.message})") from None
        return parse_recipe(data, Path(name).name)
    if name not in recipe_names():
        raise InvalidInput(f"recipe: unknown recipe {name!r} (available: {', '.join(recipe_names())})")
    text = resources.files("pipeline.recipes").joinpath(f"{name}.json").read_text(encoding="utf-8")
    return parse_recipe(parse_json(text), f"{name}.json")

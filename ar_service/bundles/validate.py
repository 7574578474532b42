"""Checking a whole staged bundle: scene.json, then every file it names, then nothing left over."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ar_service.bundles.archive import StagedFile
from ar_service.bundles.gltf import check_glb, check_gltf, check_obj
from ar_service.bundles.limits import BundleLimits
from ar_service.bundles.media import check_audio, check_captions, check_image
from ar_service.bundles.ply import check_ply
from ar_service.bundles.problems import BundleInvalid, Problem, refuse
from ar_service.bundles.scene import SCENE_FILE, parse_scene
from hue_errors import TooLarge

UPLOAD_PREFIX = "upload:"
MODEL_FORMATS = (".glb", ".gltf", ".obj", ".ply")
# Resolves "upload:<id>" to the uploaded file, fetched into the scratch folder; raises BundleInvalid.
ResolveUpload = Callable[[str], StagedFile]


@dataclass(frozen=True)
class ModelFiles:
    main: StagedFile
    # Everything the model reads besides itself (glTF buffers and textures, OBJ materials).
    dependencies: tuple[StagedFile, ...]


@dataclass(frozen=True)
class Narration:
    audio: StagedFile
    captions: StagedFile | None


@dataclass(frozen=True)
class Bundle:
    """A bundle that passed every check: what to store, and the scene's data."""

    title: str
    languages: tuple[str, ...]
    recipe: str
    model: ModelFiles
    marker: StagedFile | None
    placement: dict[str, Any]
    annotations: list[dict[str, Any]]
    narration: dict[str, Narration] = field(default_factory=dict)


class _Files:
    """The staged files plus uploads resolved on demand, remembering which were referenced."""

    def __init__(self, staged: dict[str, StagedFile], resolve_upload: ResolveUpload) -> None:
        self.staged = staged
        self.resolve_upload = resolve_upload
        self.used: set[str] = {SCENE_FILE}

    def get(self, owner: str, ref: str) -> StagedFile:
        if ref.startswith(UPLOAD_PREFIX):
            return self.resolve_upload(ref)
        found = self.staged.get(ref)
        if found is None:
            raise refuse(ref, f"named by {owner} but not in the bundle")
        self.used.add(ref)
        return found

    def locate(self, name: str) -> Path | None:
        found = self.staged.get(name)
        if found is not None:
            self.used.add(name)
        return found.path if found else None


@dataclass
class _Findings:
    """Problems gathered across files, so one answer lists them all."""

    problems: list[Problem] = field(default_factory=list)
    too_large: bool = False

    @contextmanager
    def collect(self) -> Iterator[None]:
        try:
            yield
        except BundleInvalid as exc:
            self.problems.extend(exc.problems)
            self.too_large |= exc.http_status == TooLarge.http_status


def _check_model(files: _Files, ref: str, limits: BundleLimits) -> ModelFiles:
    main = files.get("scene.json model.file", ref)
    suffix = PurePosixPath(main.name).suffix.lower()
    if suffix == ".glb":
        found = check_glb(main.name, main.path, files.locate, limits)
        names = [*found.buffers, *found.images]
        images = found.images
    elif suffix == ".gltf":
        found = check_gltf(main.name, main.path, files.locate, limits)
        names = [*found.buffers, *found.images]
        images = found.images
    elif suffix == ".obj":
        names = list(check_obj(main.name, main.path, files.locate))
        images = tuple(n for n in names if not n.lower().endswith(".mtl"))
    elif suffix == ".ply":
        check_ply(main.name, main.path)
        names, images = [], ()
    else:
        raise refuse(
            main.name, f"a model must be {', '.join(MODEL_FORMATS)} (got '{suffix or 'no extension'}')"
        )
    for image in images:
        check_image(image, files.staged[image].path, limits, "texture")
    return ModelFiles(main, tuple(files.staged[name] for name in dict.fromkeys(names)))


def validate_bundle(
    staged: dict[str, StagedFile], limits: BundleLimits, resolve_upload: ResolveUpload
) -> Bundle:
    """Every problem of the bundle at once where possible, each naming its file."""
    scene_file = staged.get(SCENE_FILE)
    if scene_file is None:
        raise refuse(SCENE_FILE, "missing: every bundle needs scene.json at its root")
    if scene_file.size > limits.max_scene_json_bytes:
        raise refuse(
            SCENE_FILE, f"{scene_file.size} bytes (at most {limits.max_scene_json_bytes})", too_large=True
        )
    doc = parse_scene(scene_file.path.read_bytes())
    files = _Files(staged, resolve_upload)
    found = _Findings()
    model: ModelFiles | None = None
    marker: StagedFile | None = None
    narration: dict[str, Narration] = {}
    with found.collect():
        model = _check_model(files, doc["model"]["file"], limits)
    if "marker" in doc:
        with found.collect():
            marker = files.get("scene.json marker.image", doc["marker"]["image"])
            check_image(marker.name, marker.path, limits, "marker image")
    for lang, entry in doc.get("narration", {}).items():
        with found.collect():
            audio = files.get(f"scene.json narration.{lang}.audio", entry["audio"])
            check_audio(audio.name, audio.path)
            captions = None
            if "captions" in entry:
                captions = files.get(f"scene.json narration.{lang}.captions", entry["captions"])
                check_captions(captions.name, captions.path)
            narration[lang] = Narration(audio, captions)
    if model is not None:  # a broken model may not have named its files yet
        for name in sorted(set(staged) - files.used):
            found.problems.append(
                Problem(name, "not referenced by scene.json or by the model (remove it from the bundle)")
            )
    if found.problems:
        raise BundleInvalid(found.problems, too_large=found.too_large)
    assert model is not None
    placement = dict(doc.get("placement", {}))
    if marker is not None:
        placement["marker_width_m"] = doc["marker"]["width_m"]
    return Bundle(
        title=doc["title"],
        languages=tuple(doc["languages"]),
        recipe=doc["model"].get("recipe", "web"),
        model=model,
        marker=marker,
        placement=placement,
        annotations=doc.get("annotations", []),
        narration=narration,
    )

"""Provenance: the KHR_xmp_json_ld packet in every GLB and the versions of the tools that ran.

The packet uses Dublin Core for what the object is and who made it, XMP Rights and Creative
Commons for the licence, XMP's CreatorTool for the tool versions, and a small paradata
namespace for the processing steps, how the model was captured and what is measured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from PIL import features

from hue_errors import InvalidInput

PARADATA_NS = "urn:hue-ar:paradata:1.0#"
CC_LICENCES = {  # SPDX id → licence deed (cc:license wants the URL)
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC-BY-ND-4.0": "https://creativecommons.org/licenses/by-nd/4.0/",
    "CC-BY-NC-ND-4.0": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
}
SPDX_ID = re.compile(r"^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]*)$")
TOOL_PACKAGES = ("meshoptimizer", "DracoPy", "trimesh", "numpy", "scipy", "pillow")


@dataclass(frozen=True)
class Provenance:
    """What the curator tells us about the object. ``licence`` is an SPDX id ("CC-BY-SA-4.0");
    ``capture`` is free paradata (camera, photo count, software, date, operator, …)."""

    title: str | None = None
    creator: tuple[str, ...] = ()
    licence: str | None = None
    attribution: str | None = None
    source: str | None = None
    capture: Mapping[str, str | int | float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.licence is not None and not SPDX_ID.match(self.licence):
            raise InvalidInput(
                f"provenance: licence {self.licence!r} is not an SPDX identifier (e.g. CC-BY-4.0)"
            )


def tool_versions() -> dict[str, str]:
    """Versions of the libraries whose output ends up in the files."""
    return dict(_installed_versions())


@cache
def _installed_versions() -> dict[str, str]:
    """Looked up once per process (a dozen metadata reads, 10 ms): every level's packet and the
    manifest name them."""
    versions = {}
    for package in TOOL_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    versions["libwebp"] = str(features.version("webp"))
    return versions


def _alt(text: str) -> dict[str, Any]:
    """An XMP Language Alternative (KHR_xmp_json_ld, "Language Alternatives")."""
    return {"@type": "rdf:Alt", "rdf:_1": {"@language": "x-default", "@value": text}}


def xmp_packet(
    provenance: Provenance, steps: list[dict[str, Any]], level: str, scale_measured: bool
) -> dict[str, Any]:
    """The JSON-LD packet for one output level; contains no dates so outputs stay reproducible."""
    packet: dict[str, Any] = {
        "@context": {
            "dc": "http://purl.org/dc/elements/1.1/",
            "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
            "cc": "http://creativecommons.org/ns#",
            "xmp": "http://ns.adobe.com/xap/1.0/",
            "paradata": PARADATA_NS,
        },
        "dc:format": "model/gltf-binary",
        "dc:type": {"@set": ["PhysicalObject", "3D model"]},
    }
    if provenance.title:
        packet["dc:title"] = _alt(provenance.title)
    if provenance.creator:
        packet["dc:creator"] = {"@list": list(provenance.creator)}
    if provenance.source:
        packet["dc:source"] = provenance.source
    if provenance.licence:
        packet["dc:rights"] = _alt(provenance.licence)
        packet["xmpRights:UsageTerms"] = _alt(
            f"Licence: {provenance.licence}. {provenance.attribution or ''}".strip()
        )
        if provenance.licence in CC_LICENCES:
            packet["cc:license"] = CC_LICENCES[provenance.licence]
            packet["xmpRights:WebStatement"] = CC_LICENCES[provenance.licence]
    if provenance.attribution:
        packet["cc:attributionName"] = provenance.attribution
    agent = "Hue AR pipeline (" + ", ".join(f"{k} {v}" for k, v in tool_versions().items()) + ")"
    packet["xmp:CreatorTool"] = agent
    # One line per step rather than xmpMM:History structs: lists of structs break common
    # readers (glTF-Transform 4.5 `inspect` fails on them), lists of text do not.
    packet["paradata:processing"] = {"@list": [_describe(step) for step in steps]}
    packet["paradata:level"] = level
    # Photogrammetry reconstructs shape and colour; only the scale can be measured (a known
    # dimension or a surveyed factor), and the packet says which.
    packet["paradata:geometry"] = "reconstructed"
    packet["paradata:scale"] = "measured" if scale_measured else "reconstructed"
    if provenance.capture:
        packet["paradata:capture"] = {f"paradata:{k}": v for k, v in sorted(provenance.capture.items())}
    return packet


def _describe(step: dict[str, Any]) -> str:
    return " ".join(f"{k}={_short(v)}" for k, v in step.items())


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ",".join(_short(v) for v in value) + "]"
    return str(value)

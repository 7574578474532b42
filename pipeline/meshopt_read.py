"""EXT_meshopt_compression views: their layout held to the extension's rules, then decoded.

The native decoders and filters trust count, byteStride, mode and filter: a QUATERNION view with
byteStride 4 makes the filter write count × 8 bytes into a count × 4 byte buffer. So every rule of
the extension's "JSON schema updates" is checked before any of them runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import meshoptimizer
import numpy as np
import numpy.typing as npt

from hue_errors import InvalidInput
from pipeline import meshopt_abi  # noqa: F401  (declares the filter decoders' C signatures)

# The byteStride each mode allows, and each filter (mode ATTRIBUTES only).
MODES: dict[str, tuple[Sequence[int], str]] = {
    "ATTRIBUTES": (range(4, 257, 4), "a multiple of 4 up to 256"),
    "TRIANGLES": ((2, 4), "2 or 4"),
    "INDICES": ((2, 4), "2 or 4"),
}
FILTERS: dict[str, tuple[Callable[..., Any], Sequence[int], str]] = {
    "OCTAHEDRAL": (meshoptimizer.decode_filter_oct, (4, 8), "4 or 8"),
    "QUATERNION": (meshoptimizer.decode_filter_quat, (8,), "8"),
    "EXPONENTIAL": (meshoptimizer.decode_filter_exp, range(4, 257, 4), "a multiple of 4"),
}


def check_layout(where: str, count: int, stride: int, mode: Any, name: Any) -> None:
    """Refuse a compressed view whose ``mode`` and filter ``name`` do not allow ``stride`` and
    ``count``; ``where`` ("scan.glb: bufferViews[3]…") starts the message."""
    if mode not in MODES:
        raise InvalidInput(f"ingest: {where}: unknown mode {mode!r:.40} (expected {', '.join(MODES)})")
    strides, allowed = MODES[mode]
    if name != "NONE":
        if mode != "ATTRIBUTES" or name not in FILTERS:
            raise InvalidInput(
                f"ingest: {where}: filter {name!r:.40} with mode {mode} "
                f"(expected NONE, or with ATTRIBUTES one of {', '.join(FILTERS)})"
            )
        _, strides, allowed = FILTERS[name]  # each a subset of the ATTRIBUTES strides
    if stride not in strides:
        raise InvalidInput(
            f"ingest: {where}: byteStride {stride} with mode {mode} and filter {name} (expected {allowed})"
        )
    if mode == "TRIANGLES" and count % 3:
        raise InvalidInput(f"ingest: {where}: TRIANGLES count {count} is not a multiple of 3")


def decode_view(source: bytes, count: int, stride: int, mode: str, name: str) -> bytes:
    """The ``count`` × ``stride`` bytes of a compressed view whose layout passed :func:`check_layout`."""
    if mode != "ATTRIBUTES":
        decode = (
            meshoptimizer.decode_index_buffer if mode == "TRIANGLES" else meshoptimizer.decode_index_sequence
        )
        indices: npt.NDArray[np.uint32] = decode(count, 4, source)
        return indices.astype(np.uint16 if stride == 2 else np.uint32).tobytes()
    decoded: npt.NDArray[np.uint8] = meshoptimizer.decode_vertex_buffer(count, stride, source).view(np.uint8)
    if name != "NONE":
        unfilter = FILTERS[name][0]
        decoded = np.asarray(unfilter(decoded.reshape(-1), count, stride), np.uint8)
    return decoded.tobytes()

"""Seeded mutation fuzzing of the readers: corrupt files raise hue_errors types, never anything else."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import numpy as np
import pytest

from hue_errors import HueARError
from pipeline.glb_write import EncodeOptions, GeometryCodec, write_glb
from pipeline.inspect import inspect_source
from pipeline.model import Model, Primitive
from tests.pipeline.synthetic import grid, write_ply

MUTATIONS = 150


def mutants(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not secrets)
    out = []
    for _ in range(MUTATIONS):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        if rng.random() < 0.2:
            mutated = mutated[: rng.randrange(len(mutated))]
        out.append(bytes(mutated))
    return out


def assert_only_hue_errors(path: Path, samples: list[bytes]) -> None:
    for sample in samples:
        path.write_bytes(sample)
        with contextlib.suppress(HueARError):
            inspect_source(path)


@pytest.mark.slow
@pytest.mark.parametrize("geometry", ["meshopt", "draco"])
def test_corrupt_compressed_glb_raises_only_hue_errors(tmp_path: Path, geometry: GeometryCodec) -> None:
    positions, indices, uvs = grid(12)
    colors = np.tile(np.linspace(0, 1, len(positions), dtype=np.float32)[:, None], (1, 4))
    model = Model(primitives=[Primitive(positions=positions, indices=indices, uvs=uvs, colors=colors)])
    data = write_glb(model, EncodeOptions(geometry=geometry)).data
    assert_only_hue_errors(tmp_path / "m.glb", mutants(data, seed=1))


@pytest.mark.slow
def test_corrupt_ply_raises_only_hue_errors(tmp_path: Path) -> None:
    positions, indices, _ = grid(12)
    data = write_ply(tmp_path / "seed.ply", positions, indices).read_bytes()
    assert_only_hue_errors(tmp_path / "m.ply", mutants(data, seed=2))


@pytest.mark.slow
def test_corrupt_obj_raises_only_hue_errors(fuze: Path) -> None:
    data = (fuze / "fuze.obj").read_bytes()
    assert_only_hue_errors(fuze / "fuze.obj", mutants(data, seed=3))

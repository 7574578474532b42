"""Photogrammetry → compressed glTF LODs: a library of small stages over one in-memory model."""

import pipeline.numeric_import  # noqa: F401 - first: it changes how numpy and scipy load
from pipeline.inspect import InspectReport, inspect_source
from pipeline.provenance import Provenance
from pipeline.recipe import LevelSpec, Recipe, load_recipe
from pipeline.run import LevelOutput, RunOptions, RunResult, run_pipeline

__all__ = [
    "InspectReport",
    "LevelOutput",
    "LevelSpec",
    "Provenance",
    "Recipe",
    "RunOptions",
    "RunResult",
    "inspect_source",
    "load_recipe",
    "run_pipeline",
]

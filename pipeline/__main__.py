"""`python -m pipeline …`: the same commands as `hue-ar pipeline …`."""

from pipeline.cli import pipeline_group

pipeline_group()

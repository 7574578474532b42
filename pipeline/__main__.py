"""`python -m pipeline …`: the same commands as `hue-ar pipeline …`."""

import gc

from pipeline.cli import pipeline_group

# What the imports made lives as long as the process: frozen out of the collector, it is not
# walked again by each full collection, nor by the last one at exit (45 ms with scipy loaded).
gc.freeze()
pipeline_group()

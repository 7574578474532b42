"""`python -m pipeline …`: the same commands as `hue-ar pipeline …`."""

import gc
import os

# A run holds numpy's OpenBLAS to one thread (pipeline.run); told before numpy loads, OpenBLAS
# does not start the other threads at all (18 ms of start-up on two cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pipeline.cli import pipeline_group  # after the environment it reads

# What the imports made lives as long as the process: frozen out of the collector, it is not
# walked again by each full collection, nor by the last one at exit (45 ms with scipy loaded).
gc.freeze()
pipeline_group()

"""numpy and scipy as the pipeline loads them: imported by ``pipeline`` before anything else.

OpenBLAS is told to start no worker threads (unless the environment asks for some): a run's
BLAS calls are small and ``run_pipeline`` holds them to one thread, while the two libraries'
workers (numpy's and scipy's OpenBLAS each start one per extra core) spin for about 0.1 s
after they start. On the seam-heavy mask's one-level run that was 0.25 s of CPU taken from
the run's own two threads and its atlas process.

scipy 1.15's vendored array-api-compat does ``from numpy import *``, and numpy 2 lists its lazily
loaded submodules in ``__all__``; so the first import of scipy.sparse or scipy.spatial also
imports all of them: numpy's Fortran wrapper generator, its test helpers, masked arrays,
polynomials and the rest, which nothing here uses. Hiding those not yet loaded from that one star
import takes 0.12 s off every run's start-up (f2py and testing 0.1 s, the others 0.02 s); any of
them still loads when it is first used. (Where scipy was imported before, this changes nothing.)
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read once, when OpenBLAS loads with numpy

import numpy  # after the setting it reads

_UNUSED = frozenset(name for name in numpy.__numpy_submodules__ if f"numpy.{name}" not in sys.modules)


def _import_array_api() -> None:
    listed = numpy.__all__
    numpy.__all__ = [name for name in listed if name not in _UNUSED]
    try:
        import scipy._lib._array_api  # noqa: F401 - the module that star-imports numpy
    finally:
        numpy.__all__ = listed


_import_array_api()

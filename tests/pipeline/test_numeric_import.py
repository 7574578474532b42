"""numpy and scipy as the pipeline loads them (pipeline.numeric_import): OpenBLAS without worker
threads, scipy without numpy's lazily loaded submodules it does not use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Run in fresh interpreters: this one has numpy loaded, and numpy.testing by the test helpers.
SCIPY_PROBE = """
import json, sys
import numpy
listed = list(numpy.__all__)
import pipeline.bake, pipeline.fit, pipeline.run
import numpy as np
from scipy import sparse
from scipy.sparse.linalg import cg
from scipy.spatial import cKDTree
solution, info = cg(sparse.identity(3, format="csr") * 2.0, np.ones(3))
distance, nearest = cKDTree(np.eye(3)).query([[0.9, 0.0, 0.0]])
print(json.dumps({
    "loaded": sorted(
        m for m in ("numpy.f2py", "numpy.testing", "numpy.ma", "numpy.polynomial") if m in sys.modules
    ),
    "all_restored": numpy.__all__ == listed,
    "solution": solution.tolist(), "info": info, "nearest": nearest.tolist(),
}))
"""

THREADS_PROBE = """
import json, os
import pipeline.run
from threadpoolctl import threadpool_info
blas = [pool["num_threads"] for pool in threadpool_info() if pool["internal_api"] == "openblas"]
print(json.dumps({"blas": blas, "threads": len(os.listdir("/proc/self/task"))}))
"""


def _probe(code: str, **env: str) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | env
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_the_pipeline_imports_scipy_without_numpy_submodules_it_does_not_use() -> None:
    found = _probe(SCIPY_PROBE)
    assert found["loaded"] == []
    assert found["all_restored"]  # numpy's own list is as it was
    # scipy's array-API paths still work: a sparse solve and a k-d tree query.
    assert found["solution"] == [0.5, 0.5, 0.5] and found["info"] == 0
    assert found["nearest"] == [0]


def test_openblas_starts_no_worker_threads_when_the_pipeline_loads_numpy() -> None:
    found = _probe(THREADS_PROBE)
    # numpy's and scipy's OpenBLAS, each with one thread: the process has no thread but its own.
    assert found["blas"] == [1, 1]
    assert found["threads"] == 1


def test_an_openblas_thread_count_in_the_environment_is_kept() -> None:
    found = _probe(THREADS_PROBE, OPENBLAS_NUM_THREADS="2")
    expected = min(2, os.cpu_count() or 1)  # OpenBLAS starts no more threads than cores
    assert found["blas"] == [expected, expected]

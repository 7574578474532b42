"""The pipeline's scipy loads without numpy's f2py and testing submodules (pipeline.scipy_import)."""

from __future__ import annotations

import json
import subprocess
import sys

# Run in a fresh interpreter: this one has numpy.testing loaded by the test helpers.
PROBE = """
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
    "loaded": sorted(m for m in ("numpy.f2py", "numpy.testing") if m in sys.modules),
    "all_restored": numpy.__all__ == listed,
    "solution": solution.tolist(), "info": info, "nearest": nearest.tolist(),
}))
"""


def test_the_pipeline_imports_scipy_without_f2py_or_numpy_testing() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found["loaded"] == []
    assert found["all_restored"]  # numpy's own list is as it was
    # scipy's array-API paths still work: a sparse solve and a k-d tree query.
    assert found["solution"] == [0.5, 0.5, 0.5] and found["info"] == 0
    assert found["nearest"] == [0]

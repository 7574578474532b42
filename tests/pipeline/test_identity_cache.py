"""Values made once per object and key, objects told apart by identity, not equality."""

from __future__ import annotations

import numpy as np

from pipeline.identity_cache import IdentityCache


def test_made_once_per_object_and_key_and_equal_objects_kept_apart() -> None:
    cache: IdentityCache[int] = IdentityCache()
    made: list[str] = []

    def make(label: str) -> int:
        made.append(label)
        return len(made)

    first, twin = np.zeros(3), np.zeros(3)  # equal, unhashable, not the same object
    assert cache.get(first, "a", lambda: make("first a")) == 1
    assert cache.get(first, "a", lambda: make("again")) == 1
    assert cache.get(first, "b", lambda: make("first b")) == 2
    assert cache.get(twin, "a", lambda: make("twin a")) == 3
    assert made == ["first a", "first b", "twin a"]

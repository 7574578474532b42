"""Values made once per object (compared by identity) and key: for objects that cannot be hashed,
such as textures holding a Pillow image or models holding numpy arrays."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """``get(owner, key, make)`` calls ``make`` once per owner object and key. Each entry holds
    its owner, so the owner's id() is never reused by another object while it is cached."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, Hashable], tuple[object, V]] = {}

    def get(self, owner: object, key: Hashable, make: Callable[[], V]) -> V:
        entry = self._entries.get((id(owner), key))
        if entry is None:
            entry = (owner, make())
            self._entries[(id(owner), key)] = entry
        return entry[1]

"""The files OBJ and MTL statements name, read one way by the service's bundle check and the
pipeline's OBJ reader: a bundle the check accepts is one the reader finds every file of."""

from __future__ import annotations

import re
from collections.abc import Callable

# A texture map statement's options before its file (Wavefront MTL, "Options for texture map
# statements"), with how many arguments each takes; -o, -s and -t take one to three numbers.
MAP_OPTIONS = {
    "-blendu": 1,
    "-blendv": 1,
    "-boost": 1,
    "-bm": 1,
    "-cc": 1,
    "-clamp": 1,
    "-imfchan": 1,
    "-mm": 2,
    "-texres": 1,
    "-type": 1,
    "-o": 3,
    "-s": 3,
    "-t": 3,
}
_VECTORS = {"-o", "-s", "-t"}
_TOKEN = re.compile(r"\S+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def library_names(statement: str, names_a_file: Callable[[str], bool]) -> list[str]:
    """The MTL files one ``mtllib`` statement names: several, separated by spaces (as the OBJ format
    allows), unless the whole statement names one file (exporters write names with spaces as is)."""
    whole = statement.strip()
    if len(whole.split()) > 1 and names_a_file(whole):
        return [whole]
    return whole.split()


def map_file(argument: str) -> str:
    """The file a texture map statement names after its options (``-bm 0.5 Huế mask.jpg`` names
    ``Huế mask.jpg``): the rest of the line, spaces and all. The file is never taken as an
    option's number, so ``-s 1 1 2.jpg`` names ``2.jpg``."""
    tokens = list(_TOKEN.finditer(argument))
    at = 0
    while at < len(tokens) - 1 and tokens[at].group() in MAP_OPTIONS:
        option = tokens[at].group()
        at += 1
        if option in _VECTORS:
            end = min(at + MAP_OPTIONS[option], len(tokens) - 1)
            while at < end and _NUMBER.fullmatch(tokens[at].group()):
                at += 1
        else:
            at = min(at + MAP_OPTIONS[option], len(tokens) - 1)
    return argument[tokens[at].start() :].strip() if tokens else ""

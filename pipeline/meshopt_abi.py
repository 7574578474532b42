"""C signatures the meshoptimizer 0.2.30a0 Python bindings leave undeclared.

Without ``argtypes`` ctypes passes Python ints as 32-bit ``int`` where the C functions take
``size_t`` and refuses Python floats, which crashes ``simplify_with_attributes`` and makes
the filter decoders read garbage counts. Declaring the real prototypes (meshoptimizer.h)
on the shared library fixes every caller; importing this module is enough.
"""

from __future__ import annotations

import ctypes

from meshoptimizer._loader import lib

_size = ctypes.c_size_t
_floats = ctypes.POINTER(ctypes.c_float)
_uints = ctypes.POINTER(ctypes.c_uint)

lib.meshopt_simplifyWithAttributes.argtypes = [
    _uints,
    _uints,
    _size,
    _floats,
    _size,
    _size,
    _floats,
    _size,
    _floats,
    _size,
    ctypes.POINTER(ctypes.c_ubyte),
    _size,
    ctypes.c_float,
    ctypes.c_uint,
    _floats,
]
lib.meshopt_simplifyWithAttributes.restype = _size
for _name in ("meshopt_decodeFilterOct", "meshopt_decodeFilterQuat", "meshopt_decodeFilterExp"):
    getattr(lib, _name).argtypes = [ctypes.c_void_p, _size, _size]
    getattr(lib, _name).restype = None

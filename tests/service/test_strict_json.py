"""hue_json: the JSON every upload, request and model file is read as."""

from __future__ import annotations

from typing import Any

import pytest

from hue_json import MalformedJson, parse_json


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b'{"scale": 1.5e308, "count": 1234567890123456789012345678901234567890}',
            {"scale": 1.5e308, "count": int("1234567890" * 4)},
        ),
        ('"Th\\u00e1p \\ud83c\\udfef"', "Tháp 🏯"),  # an escaped surrogate pair is one character
        ('{"tên": "Huế"}'.encode("utf-16"), {"tên": "Huế"}),  # RFC 8259 §8.1 detection
    ],
)
def test_well_formed_json_is_read_as_python_reads_it(raw: bytes | str, expected: Any) -> None:
    assert parse_json(raw) == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'{"scale": NaN}', "NaN is not a JSON number"),
        (b"[-Infinity]", "-Infinity is not a JSON number"),
        (b"[1e400]", "the number 1e400 is out of range"),
        (b"[-1e400]", "the number -1e400 is out of range"),
        (b"[" + b"9" * 41 + b"]", "an integer has 41 digits (at most 40)"),
        (b"[-" + b"9" * 5000 + b"]", "an integer has 5000 digits"),
        (b'{"title": "Th\\u00e1p \\ud800"}', "'Tháp '… holds an unpaired surrogate \\ud800"),
        (b'{"\\udfff": 1}', "unpaired surrogate \\udfff"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"title": "x",', "invalid JSON at line 1 column 15"),
        (b'"\xff"', "not UTF-8 text (byte 1)"),
    ],
)
def test_what_other_readers_refuse_is_refused_with_the_reason(raw: bytes, words: str) -> None:
    with pytest.raises(MalformedJson) as refused:
        parse_json(raw)
    assert words in refused.value.message

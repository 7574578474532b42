from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from hue_errors import InvalidInput
from markers.qr import (
    ALPHABET,
    QUIET_ZONE,
    QrOptions,
    check_character,
    decode_qr,
    make_qr,
    make_short_code,
    qr_url,
    validate_short_code,
)


def test_short_codes_validate_case_insensitively() -> None:
    for _ in range(50):
        code = make_short_code()
        assert len(code) == 6
        assert set(code) <= set(ALPHABET)
        assert validate_short_code(f" {code.lower()} ") == code


def test_alphabet_has_no_ambiguous_characters() -> None:
    assert not set("0O1I") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 32


def test_check_character_catches_every_single_substitution() -> None:
    code = "K7MQ3" + check_character("K7MQ3")
    for position in range(len(code)):
        for replacement in ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(InvalidInput):
                validate_short_code(typo)


def test_check_character_catches_adjacent_swaps() -> None:
    rng = np.random.default_rng(3)
    caught = total = 0
    for _ in range(300):
        body = "".join(rng.choice(list(ALPHABET), 5))
        code = body + check_character(body)
        for i in range(len(code) - 1):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            total += 1
            try:
                validate_short_code(swapped)
            except InvalidInput:
                caught += 1
    assert caught / total > 0.95


def test_bad_codes_are_explained() -> None:
    with pytest.raises(InvalidInput, match="outside"):
        validate_short_code("AB0CD1")
    with pytest.raises(InvalidInput, match="check character"):
        validate_short_code("K7MQ3A" if check_character("K7MQ3") != "A" else "K7MQ3B")


def test_url_is_upper_case_and_fits_a_small_version() -> None:
    url = qr_url("https://hue.example/", "k7mq3" + check_character("K7MQ3").lower())
    assert url == "HTTPS://HUE.EXAMPLE/Q/K7MQ3" + check_character("K7MQ3")
    # Alphanumeric mode: 28 characters fit version 2 at level Q (ISO/IEC 18004 Table 7: capacity 29).
    assert make_qr(url).version == 2
    # The same URL in lower case needs byte mode and a larger symbol.
    assert make_qr(url.lower()).version > 2


def test_qr_png_decodes_and_keeps_the_quiet_zone() -> None:
    url = qr_url("https://hue.example", make_short_code())
    code = make_qr(url, QrOptions(error_correction="H", box_size=6))
    image = np.asarray(Image.open(io.BytesIO(code.png)).convert("L"))
    assert image.shape[0] == (code.modules + 2 * QUIET_ZONE) * 6
    assert (image[: QUIET_ZONE * 6] == 255).all()
    assert decode_qr(image) == url
    assert code.modules == 17 + 4 * code.version


def test_qr_svg_is_well_formed() -> None:
    code = make_qr(qr_url("https://hue.example", make_short_code()))
    root = ET.fromstring(code.svg)  # noqa: S314 (our own output, not untrusted input)
    assert root.tag.endswith("svg")


def test_base_url_must_be_http() -> None:
    with pytest.raises(InvalidInput, match="must start with https://"):
        qr_url("hue.example", make_short_code())


def test_every_short_code_url_encodes_and_decodes_back() -> None:
    # Short codes are random: the decode-back check must hold for any of them, not most.
    for _ in range(200):
        code = make_short_code()
        assert make_qr(qr_url("https://ar.hue.example", code)).payload == f"HTTPS://AR.HUE.EXAMPLE/Q/{code}"

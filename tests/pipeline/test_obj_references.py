"""The files OBJ and MTL statements name (hue_obj), read one way by the bundle check and the reader."""

from __future__ import annotations

import pytest

from hue_obj import library_names, map_file


@pytest.mark.parametrize(
    ("argument", "file"),
    [
        ("mask.jpg", "mask.jpg"),
        ("Huế mask 2024.jpg", "Huế mask 2024.jpg"),
        ("-bm 0.5 Huế lantern.png", "Huế lantern.png"),
        ("-s 1 1 1 -o 0 0 0 mask.jpg", "mask.jpg"),
        ("-s 2 2 mask.jpg", "mask.jpg"),  # -s with two of its three numbers
        ("-o 0.5 1e-3 -clamp on textures\\mask.jpg", "textures\\mask.jpg"),
        ("-s 1 1 2.jpg", "2.jpg"),  # the file is never taken as an option's number
        ("-mm 0 1 -imfchan l -blendu off -blendv on -boost 2 -texres 512 -cc on a  b.jpg", "a  b.jpg"),
        ("-type sphere sky.png", "sky.png"),
        ("-bm", "-bm"),  # an option with nothing after it is the file's name
        ("-halo 1 mask.jpg", "-halo 1 mask.jpg"),  # not an MTL option: part of the name
    ],
)
def test_a_map_statement_names_the_file_after_its_options(argument: str, file: str) -> None:
    assert map_file(argument) == file


def test_an_mtllib_statement_names_several_files_unless_the_whole_names_one() -> None:
    files = {"my scan.mtl", "a.mtl", "b.mtl"}
    assert library_names("my scan.mtl", files.__contains__) == ["my scan.mtl"]
    assert library_names("a.mtl b.mtl", files.__contains__) == ["a.mtl", "b.mtl"]
    assert library_names("  a.mtl  ", files.__contains__) == ["a.mtl"]

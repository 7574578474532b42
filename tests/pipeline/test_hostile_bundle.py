"""Hostile bundles: zip bombs and damaged archives, references that loop back to one file or break
the file system, pathological OBJ/MTL/PLY text. Each is refused with InvalidInput naming the file,
quickly and without reading more than the limits allow; Windows line endings and multi-file
``mtllib`` statements load."""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from hue_errors import InvalidInput, TooLarge
from pipeline import bundle as bundle_module
from pipeline.bundle import Bundle
from pipeline.cli import pipeline_group
from pipeline.ingest import load_model
from pipeline.inspect import inspect_source
from tests.pipeline.synthetic import gltf_document, grid, write_gltf

MiB = 1 << 20
TRIANGLE = "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n"


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def bomb_stream(mebibytes: int) -> bytes:
    """Raw deflate of ``mebibytes`` MiB of '#' in about 1 KB per MiB, built from one compressed MiB:
    after a full flush each block stands alone, so one block repeats (RFC 1951 §3.2.3)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"#" * MiB) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * mebibytes + compressor.flush()


def write_zip(
    path: Path,
    entries: list[tuple[str, bytes, int, int]],
    *,
    method: int = zipfile.ZIP_DEFLATED,
    flags: int = 0,
    packed_size: int | None = None,
) -> Path:
    """A zip written field by field (APPNOTE.TXT §4.3.7, §4.3.12, §4.3.16) so that its directory can
    lie; ``entries`` are (name, stored bytes, uncompressed size, CRC-32)."""
    local, central = bytearray(), bytearray()
    for name, stored, size, crc in entries:
        encoded = name.encode()
        packed = len(stored) if packed_size is None else packed_size
        fields = struct.pack("<HHHHHIIIH", 20, flags, method, 0, 0, crc, packed, size, len(encoded))
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields
        central += struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(local)) + encoded
        local += b"PK\x03\x04" + fields + struct.pack("<H", 0) + encoded + stored
    count = len(entries)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(local), 0)
    path.write_bytes(bytes(local + central) + end)
    return path


def member(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    return name, deflated(data), len(data), zlib.crc32(data)


def texture(path: Path) -> None:
    Image.new("RGB", (4, 4), (200, 100, 50)).save(path)


SPELLINGS = "mtllib a.mtl ./a.mtl\nmtllib ././a.mtl .//a.mtl\n"


def never_unpacked(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make opening zip member ``name`` fail the test: a bomb must be refused from its directory."""
    opened = zipfile.ZipFile.open

    def open_member(archive: zipfile.ZipFile, member: Any, *args: Any, **kwargs: Any) -> Any:
        assert getattr(member, "filename", member) != name, f"{name} was unpacked"
        return opened(archive, member, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", open_member)


@pytest.mark.parametrize("bomb", ["m.obj", "a.mtl"])
def test_zip_bomb_is_refused_by_its_ratio_without_unpacking(
    tmp_path: Path, bomb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 256 MiB of '#' in 260 KB, as the model itself or as an MTL file it names four ways.
    entries = [(bomb, bomb_stream(256), 256 * MiB, 0)]  # CRC never checked: refused before reading
    if bomb == "a.mtl":
        entries.append(member("m.obj", (SPELLINGS + TRIANGLE).encode()))
    archive = write_zip(tmp_path / "bomb.zip", entries)
    never_unpacked(monkeypatch, bomb)
    with pytest.raises(TooLarge, match=rf"{bomb}: unpacks from \d+ bytes .* compression ratio over 100:1"):
        inspect_source(archive)


def test_zip_directory_overstating_the_packed_size_is_refused_by_the_archive_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The directory claims 256 MiB packed into 256 MiB (1:1); the whole archive is 260 KB.
    archive = write_zip(
        tmp_path / "liar.zip", [("m.obj", bomb_stream(256), 256 * MiB, 0)], packed_size=256 * MiB
    )
    never_unpacked(monkeypatch, "m.obj")
    with pytest.raises(TooLarge, match=r"m\.obj: .*compression ratio over 100:1"):
        inspect_source(archive)


def test_zip_declaring_more_entries_than_allowed_is_refused_before_listing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = write_zip(tmp_path / "many.zip", [member("m.obj", TRIANGLE.encode())])
    data = bytearray(archive.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<HH", 0xFFFE, 0xFFFE)  # the record's two entry counts
    archive.write_bytes(bytes(data))

    def never_listed(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("zipfile listed the entries")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", never_listed)
    with pytest.raises(TooLarge, match=r"many\.zip: the archive declares 65534 entries \(expected ≤ 10000"):
        inspect_source(archive)


def test_a_file_referenced_under_several_spellings_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.obj").write_text(SPELLINGS + "usemtl skin\n" + TRIANGLE)
    (tmp_path / "a.mtl").write_text("newmtl skin\nmap_Kd t.png\n" + "#" * 10_000 + "\n")
    texture(tmp_path / "t.png")
    # Room for each file once: a second read of a.mtl would pass the budget.
    once = sum(p.stat().st_size for p in tmp_path.iterdir())
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE_BYTES", once)
    with Bundle(tmp_path) as bundle:
        model = load_model(bundle)
        assert sorted(bundle.digests) == ["a.mtl", "m.obj", "t.png"]
    assert model.materials[0].base_color_texture is not None


def test_files_past_the_bundle_budget_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.obj").write_text("mtllib a.mtl\n" + TRIANGLE)
    (tmp_path / "a.mtl").write_text("newmtl skin\n" + "#" * 10_000 + "\n")
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE_BYTES", 5_000)
    with pytest.raises(TooLarge, match=r"a\.mtl: the files read for .* add up to over 5000 bytes"):
        inspect_source(tmp_path)


@pytest.mark.parametrize(
    "obj",
    [
        "mtllib a" + " " * 1_000_000 + "b\n" + TRIANGLE,
        "mtllib a" + " \t" * 500_000 + "b\r\n" + TRIANGLE,
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1" + " " * 1_000_000 + "2 " + "0" * 100_000 + "1 0\n",
        " " * 1_000_000 + "mtllib a\n" + TRIANGLE,
    ],
    ids=["mtllib-spaces", "mtllib-tabs-crlf", "face-spaces", "indent"],
)
def test_long_obj_lines_are_parsed_in_linear_time(tmp_path: Path, obj: str) -> None:
    # A hang guard, not a timing: the lazy pattern this replaced took 24 s on a line of 100 000
    # spaces and about 40 min on these 1 MB lines; linear parsing refuses them in a second.
    path = tmp_path / "m.obj"
    path.write_text(obj)
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "inspect", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stderr.startswith("error: ingest: m.obj"), done.stderr


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (
            lambda d: write_gltf(d / "m.gltf", gltf_document(*grid(2)[:2], buffer_uri="b" * 300 + ".bin")),
            "304",
        ),
        (lambda d: (d / "m.obj").write_text("mtllib " + "a" * 300 + ".mtl\n" + TRIANGLE), "304"),
        (lambda d: (d / "m.obj").write_text("mtllib a\x00b.mtl\n" + TRIANGLE), "control characters"),
        (lambda d: (d / "m.obj").write_text("mtllib ok.mtl\n" + TRIANGLE), "control characters"),
    ],
    ids=["gltf-long-uri", "mtllib-long-name", "mtllib-nul", "map_Kd-nul"],
)
def test_references_the_file_system_cannot_open_are_refused(
    tmp_path: Path, make: Callable[[Path], object], problem: str
) -> None:
    (tmp_path / "ok.mtl").write_text("newmtl skin\nmap_Kd t\x00.png\n")
    make(tmp_path)
    with pytest.raises(InvalidInput, match=rf"(m\.gltf|m\.obj|ok\.mtl): reference .*{problem}"):
        inspect_source(tmp_path)


OBJ = TRIANGLE.encode()


@pytest.mark.parametrize(
    ("entry", "options", "problem"),
    [
        (("m.obj", b"\xff" * 64, 1000, 0), {}, r"damaged in x\.zip \(Error -3"),
        (("m.obj", OBJ, len(OBJ), zlib.crc32(OBJ) ^ 1), {"method": zipfile.ZIP_STORED}, r"damaged.*CRC"),
        (member("m.obj", OBJ), {"flags": 1}, r"encrypted in x\.zip"),
        (member("m.obj", OBJ), {"method": 98}, r"compression method 98 cannot be read"),
        (("m.obj", b"BZh91AY&SY" + b"\0" * 64, 1000, 0), {"method": zipfile.ZIP_BZIP2}, "damaged"),
        (("m.obj", b"\x09\x04\x05\x00" + b"\xff" * 64, 1000, 0), {"method": zipfile.ZIP_LZMA}, "damaged"),
    ],
    ids=["bad-deflate", "bad-crc", "encrypted", "method-98", "bad-bzip2", "bad-lzma"],
)
def test_damaged_or_unreadable_zip_members_are_refused(
    tmp_path: Path, entry: tuple[str, bytes, int, int], options: dict[str, int], problem: str
) -> None:
    archive = write_zip(tmp_path / "x.zip", [entry], **options)
    with pytest.raises(InvalidInput, match=rf"m\.obj: {problem}"):
        inspect_source(archive)


def test_ply_count_of_thousands_of_digits_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.ply"
    path.write_bytes(
        b"ply\nformat ascii 1.0\nelement vertex " + b"9" * 5000 + b"\nproperty float x\nend_header\n"
    )
    with pytest.raises(InvalidInput, match=r"m\.ply: element vertex declares a 5000-digit number of rows"):
        inspect_source(path)


def test_obj_and_mtl_with_windows_line_endings_load(tmp_path: Path) -> None:
    obj = "mtllib a.mtl\nusemtl skin\n" + TRIANGLE
    (tmp_path / "m.obj").write_bytes(obj.replace("\n", "\r\n").encode())
    (tmp_path / "a.mtl").write_bytes(b"newmtl skin\r\nmap_Kd t.png\r\n")
    texture(tmp_path / "t.png")
    report = inspect_source(tmp_path)
    assert [(t.material, t.name) for t in report.textures] == [("skin", "t.png")]


def test_mtllib_naming_several_files_reads_them_all(tmp_path: Path) -> None:
    (tmp_path / "m.obj").write_text("mtllib a.mtl b.mtl\nusemtl skin\n" + TRIANGLE)
    (tmp_path / "a.mtl").write_text("newmtl other\n")
    (tmp_path / "b.mtl").write_text("newmtl skin\nmap_Kd t.png\n")
    texture(tmp_path / "t.png")
    report = inspect_source(tmp_path)
    assert [(t.material, t.name) for t in report.textures] == [("skin", "t.png")]


def test_mtllib_naming_one_file_with_spaces_still_loads(tmp_path: Path) -> None:
    (tmp_path / "m.obj").write_text("mtllib my scan.mtl\nusemtl skin\n" + TRIANGLE)
    (tmp_path / "my scan.mtl").write_text("newmtl skin\nmap_Kd t.png\n")
    texture(tmp_path / "t.png")
    assert [t.name for t in inspect_source(tmp_path).textures] == ["t.png"]


@pytest.mark.parametrize("face", ["f 0 1 2", "f 1 2 0", "f 1/0 2/1 3/1", "f 1//0 2//1 3//1"])
def test_obj_face_index_zero_is_refused(tmp_path: Path, face: str) -> None:
    path = tmp_path / "m.obj"
    path.write_text(f"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\n{face}\n")
    with pytest.raises(InvalidInput, match=r"m\.obj: line 6: face index 0"):
        inspect_source(path)


def test_folder_with_too_many_files_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.obj").write_text(TRIANGLE)
    for k in range(5):
        (tmp_path / f"photo{k}.jpg").write_bytes(b"")
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE_FILES", 5)
    with pytest.raises(TooLarge, match=rf"{tmp_path.name}: over 5 files"):
        inspect_source(tmp_path)


def test_symlinked_model_file_is_refused_as_a_link(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "real.obj").write_text(TRIANGLE)
    (tmp_path / "bundle").mkdir()
    link = tmp_path / "bundle" / "m.obj"
    link.symlink_to(tmp_path / "elsewhere" / "real.obj")
    with pytest.raises(InvalidInput, match=r"'m\.obj' points outside the bundle through a symbolic link"):
        inspect_source(link)


def test_reference_to_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.obj").write_text("mtllib a.mtl\n" + TRIANGLE)
    (tmp_path / "a.mtl").symlink_to("a.mtl")
    with pytest.raises(
        InvalidInput, match=r"m\.obj: cannot read 'a\.mtl' \(a symbolic link loop\)"
    ) as refused:
        inspect_source(tmp_path)
    assert str(tmp_path) not in refused.value.message  # the server's folders stay its own


def test_an_unreadable_reference_is_refused_without_the_bundle_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.obj").write_text("mtllib a.mtl\n" + TRIANGLE)
    (tmp_path / "a.mtl").write_text("newmtl x\n")
    opened = Path.open

    def refusing_open(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path.name == "a.mtl":  # as the system answers a file its user may not read
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    with pytest.raises(InvalidInput, match=r"m\.obj: cannot read 'a\.mtl' \(Permission denied\)") as refused:
        inspect_source(tmp_path)
    assert str(tmp_path) not in refused.value.message


def test_cli_answers_hostile_input_with_one_line_and_exit_2(tmp_path: Path) -> None:
    inputs = [
        write_zip(tmp_path / "bomb.zip", [("m.obj", bomb_stream(64), 64 * MiB, 0)]),
        write_zip(tmp_path / "x.zip", [member("m.obj", OBJ)], method=98),
        tmp_path / "m.obj",
    ]
    (tmp_path / "m.obj").write_text("mtllib a\x00b.mtl\n" + TRIANGLE)
    for command in ("inspect", "run"):
        for source in inputs:
            arguments = [command, str(source)] + (
                ["--out", str(tmp_path / "out")] if command == "run" else []
            )
            result = CliRunner().invoke(pipeline_group, arguments)
            assert result.exit_code == 2, result.output
            # After ``run``'s progress bar: the error as one line, no traceback.
            assert result.stderr.splitlines()[-1].startswith("error: ingest: ")
            assert "Traceback" not in result.output

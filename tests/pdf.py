"""Reading a printed plaque back as a printer would: the PDF rasterised by poppler, its QR decoded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from markers.qr import decode_qr


def decode_pdf_qr(pdf: Path, folder: Path) -> str | None:
    """The payload of the QR code on the PDF's first page, or None when none decodes."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils; `make test` does)")
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run([pdftoppm, "-r", "150", "-gray", "-png", "-singlefile", pdf, folder / "page"], check=True)
    with Image.open(folder / "page.png") as rendered:
        return decode_qr(np.asarray(rendered.convert("L"), dtype=np.uint8))

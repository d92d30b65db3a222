"""Schemathesis hooks for the fuzz (loaded through SCHEMATHESIS_HOOKS): binary uploads get bodies too.

A spreadsheet upload is fuzzed with random bytes and with a small real workbook, so both the
"not a workbook" and the "a workbook with nonsense in it" paths are exercised; an attachment upload
with random bytes and with bytes that carry its type's signature (a PDF header, a PNG header, a zip
holding a Word document, …), so both the refusal and the stored file are exercised.
"""

import io
import zipfile

import schemathesis
from hypothesis import strategies as st
from openpyxl import Workbook


def _workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Cell text a worksheet can hold (openpyxl refuses control characters in cells).
_cell = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
_cells = st.lists(st.lists(_cell, min_size=1, max_size=4), min_size=1, max_size=4)
_binary = st.one_of(st.binary(max_size=512), _cells.map(_workbook))


def _word(paragraphs: list[str]) -> bytes:
    """A package with the part that makes a zip a Word document (what attachment checks look for)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "".join(f"<p>{p}</p>" for p in paragraphs))
    return out.getvalue()


def _signed(signature: bytes) -> st.SearchStrategy[bytes]:
    """Bytes that begin like a file of the type (so uploads get past the signature check too)."""
    return st.binary(max_size=256).map(lambda rest: signature + rest)


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Each media type a route takes as a raw body: random bytes, or bytes shaped like such a file.
_BODIES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _cells.map(_workbook),
    "application/octet-stream": st.nothing(),
    "application/pdf": st.one_of(_cells.map(_workbook), _signed(b"%PDF-1.7\n")),
    "image/png": _signed(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": _signed(b"\xff\xd8\xff\xe0"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": st.lists(
        _cell, max_size=3
    ).map(_word),
    "application/msword": _signed(_OLE2),
    "application/vnd.ms-excel": _signed(_OLE2),
}

for media, shaped in _BODIES.items():
    schemathesis.openapi.media_type(media, st.one_of(st.binary(max_size=512), shaped))

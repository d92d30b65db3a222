"""Schemathesis hooks for the fuzz (loaded through SCHEMATHESIS_HOOKS): binary uploads get bodies too.

A spreadsheet upload is fuzzed with random bytes and with a small real workbook, so both the
"not a workbook" and the "a workbook with nonsense in it" paths are exercised.
"""

import io

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

for media in (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
    "application/pdf",
):
    schemathesis.openapi.media_type(media, _binary)

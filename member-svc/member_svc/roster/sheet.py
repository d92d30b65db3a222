"""Reading roster workbooks (.xlsx) with openpyxl, and writing them through the one writer
(member_svc.spreadsheets). No database here; blocking, so callers in the event loop run it in a
thread."""

import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from openpyxl import load_workbook

from cppcc_common.errors import AppError
from member_svc.roster import columns
from member_svc.roster.errors import (
    EmptyRoster,
    MissingColumns,
    NoRows,
    NotAnXlsx,
    OldXls,
    TooManyParts,
    TooManyRows,
    TooManyTexts,
    UnzipsTooLarge,
)
from member_svc.roster.policy import RosterPolicy
from member_svc.spreadsheets import write_sheet

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc …) container
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


@dataclass(frozen=True)
class RawRow:
    """One data row: its row number as Excel shows it, and the text of each roster column."""

    row: int
    cells: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "cells": self.cells}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RawRow":
        return cls(row=int(data["row"]), cells=dict(data["cells"]))


def read_roster(content: bytes, policy: RosterPolicy) -> list[RawRow]:
    """The data rows of the first sheet with a roster header, or an error saying what is wrong.

    Nothing is inflated before the zip's directory was checked against the policy's limits, and
    then at most what the directory declares (zipfile stops a part at its declared size)."""
    _check_container(content, policy)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise NotAnXlsx() from exc
    try:
        return _roster_rows(workbook, policy)
    except AppError:
        raise
    except Exception as exc:
        raise NotAnXlsx() from exc
    finally:
        workbook.close()


def _check_container(content: bytes, policy: RosterPolicy) -> None:
    if content.startswith(_OLE_MAGIC):
        raise OldXls()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            if not any(p.filename == "[Content_Types].xml" for p in parts):
                raise NotAnXlsx()
            if len(parts) > policy.max_zip_entries:
                raise TooManyParts(limit=str(policy.max_zip_entries))
            if sum(p.file_size for p in parts) > policy.max_unzipped_bytes:
                raise UnzipsTooLarge(limit=f"{policy.max_unzipped_bytes // (1024 * 1024)} MiB")
            for name in _shared_strings_parts(archive):
                _count_texts(archive, name, policy.max_shared_strings)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, ElementTree.ParseError) as exc:
        raise NotAnXlsx() from exc


def _shared_strings_parts(archive: zipfile.ZipFile) -> list[str]:
    """The parts the content types name as shared strings: where openpyxl will read them from."""
    with archive.open("[Content_Types].xml") as stream:
        types = ElementTree.parse(stream).getroot()
    return [
        override.get("PartName", "").lstrip("/")
        for override in types
        if override.tag.endswith("Override") and override.get("ContentType") == _SHARED_STRINGS
    ]


def _count_texts(archive: zipfile.ZipFile, name: str, limit: int) -> None:
    """Streams a shared-strings part, refusing it once it holds more than `limit` texts: openpyxl
    keeps every one of them in memory for as long as the workbook is open."""
    if name not in archive.namelist():
        return  # openpyxl reads no strings then
    count, root = 0, None
    with archive.open(name) as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if root is None:
                root = element
            elif event == "end" and element.tag.rpartition("}")[2] == "si":
                count += 1
                if count > limit:
                    raise TooManyTexts(limit=str(limit))
                root.clear()  # what was counted is not kept


def _roster_rows(workbook: Any, policy: RosterPolicy) -> list[RawRow]:
    first_problem: AppError | None = None
    for sheet in workbook.worksheets:
        sheet.reset_dimensions()  # some writers record a wrong used range; read what is there
        try:
            return _sheet_rows(sheet, policy)
        except (MissingColumns, NoRows, EmptyRoster) as problem:
            if first_problem is None and not isinstance(problem, EmptyRoster):
                first_problem = problem
    raise first_problem or EmptyRoster()


def _non_empty_rows(sheet: Any, policy: RosterPolicy) -> Iterator[tuple[int, list[str]]]:
    # One row past the limit is read, so that a roster running past it is refused, not cut short.
    rows = sheet.iter_rows(max_row=policy.max_sheet_rows + 1, max_col=policy.max_columns, values_only=True)
    for number, values in enumerate(rows, start=1):
        texts = [columns.cell_text(v) for v in values]
        if any(texts):
            if number > policy.max_sheet_rows:
                raise TooManyRows(limit=str(policy.max_rows))
            yield number, texts


def _sheet_rows(sheet: Any, policy: RosterPolicy) -> list[RawRow]:
    rows = _non_empty_rows(sheet, policy)
    head = list(itertools.islice(rows, policy.header_search_rows))
    if not head:
        raise EmptyRoster()
    found = [_columns_of(texts) for _, texts in head]
    at = next((i for i, f in enumerate(found) if set(f.values()) & set(columns.REQUIRED)), 0)
    header = _checked_header(found[at])
    out: list[RawRow] = []
    for number, texts in itertools.chain(head[at + 1 :], rows):
        cells = {column: (texts[i] if i < len(texts) else "") for i, column in header.items()}
        if not any(cells.values()):
            continue  # a pre-numbered template row (序号 only) is not a row
        if len(out) == policy.max_rows:
            raise TooManyRows(limit=str(policy.max_rows))
        out.append(RawRow(row=number, cells=cells))
    if not out:
        raise NoRows()
    return out


def _columns_of(texts: list[str]) -> dict[int, str]:
    """Column index → roster column, for a header row; a repeated column counts once (the first)."""
    found: dict[int, str] = {}
    for index, text in enumerate(texts):
        column = columns.column_of(text)
        if column is not None and column not in found.values():
            found[index] = column
    return found


def _checked_header(header: dict[int, str]) -> dict[int, str]:
    missing = [c for c in columns.REQUIRED if c not in header.values()]
    if missing:
        raise MissingColumns(
            columns="、".join(missing),
            errors=[{"field": c, "code": "missing_column", "message": f"缺少“{c}”列"} for c in missing],
        )
    return header


# The roster's wide columns; the writer itself is member_svc.spreadsheets.
WIDTHS = {columns.PHONE: 14, columns.SECTOR: 20, columns.COMMITTEES: 30, columns.POSITION: 28}


def write_roster(header: Sequence[str], rows: Iterable[Sequence[str]], *, title: str) -> bytes:
    """A roster workbook (the export, the demo's file): the shared writer with the roster's widths."""
    return write_sheet(header, rows, title=title, widths=WIDTHS)

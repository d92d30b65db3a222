"""The one .xlsx writer of member-svc (openpyxl): the roster export and the duty year's sheet.

No database here; blocking, so callers in the event loop run it in a thread.
"""

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_WIDTH = 12


def write_sheet(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    title: str,
    widths: Mapping[str, int] | None = None,
) -> bytes:
    """A workbook with one sheet: a bold, frozen header and the rows, every cell as text.

    `widths` gives a column's width by its header (others are `DEFAULT_WIDTH` characters)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = (widths or {}).get(name, DEFAULT_WIDTH)
    sheet.append([_cell(sheet, h, bold=True) for h in header])
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, value: str, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if value.startswith("="):
        cell.data_type = "s"  # text, never a formula: an exported name must not run in Excel
    if bold:
        cell.font = Font(bold=True)
    return cell

"""The year-end tracking report as an `.xlsx` workbook (openpyxl's write-only mode: rows are written
as they come, never held as a sheet in memory). Blocking: callers run it in a thread."""

import io
from collections.abc import Iterator, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from consultation_svc.outcomes.domain import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS
from consultation_svc.outcomes.schemas import TrackingReport, TrackingRow
from cppcc_common.workdays import local_date

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The office's column order (协商成果跟踪落实情况表) and each column's width in characters.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6),
    ("协商活动", 30),
    ("活动日期", 12),
    ("成果类型", 10),
    ("成果标题", 36),
    ("报送日期", 12),
    ("报送对象", 30),
    ("责任单位", 20),
    ("领导批示", 40),
    ("反馈期限", 12),
    ("反馈日期", 12),
    ("反馈情况", 40),
    ("办理状态", 10),
    ("超期天数", 10),
    ("跟踪督办情况", 40),
)
HEADER = tuple(name for name, _ in COLUMNS)


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def row_values(index: int, row: TrackingRow) -> list[str | int]:
    """One outcome as the office's columns."""
    instructions = "；".join(
        f"{i.instructed_on.isoformat()} {LEVEL_LABELS[i.level]} {i.leader}：{i.text}"
        for i in row.instructions
    )
    follow_ups = "；".join(f"{local_date(f.recorded_at).isoformat()} {f.note}" for f in row.follow_ups)
    return [
        index,
        row.activity_title,
        row.activity_date.isoformat(),
        KIND_LABELS[row.kind],
        row.title,
        _day(row.sent_on),
        "、".join(row.recipients),
        row.responsible or "",
        instructions,
        _day(row.feedback_due_on),
        _day(row.feedback.received_on) if row.feedback else "",
        row.feedback.text if row.feedback else "",
        STATUS_LABELS[row.status],
        row.days_overdue,
        follow_ups,
    ]


def _cell(sheet: WriteOnlyWorksheet, value: str | int, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        cell.data_type = "s"  # text, never a formula: what a department wrote must not run in Excel
    if bold:
        cell.font = Font(bold=True)
    return cell


def _rows(sheet: WriteOnlyWorksheet, rows: Sequence[TrackingRow]) -> Iterator[list[WriteOnlyCell]]:
    for index, row in enumerate(rows, start=1):
        yield [_cell(sheet, v) for v in row_values(index, row)]


def tracking_workbook(report: TrackingReport) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{report.year}年协商成果跟踪")
    sheet.freeze_panes = "A2"
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_cell(sheet, h, bold=True) for h in HEADER])
    for cells in _rows(sheet, report.outcomes):
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

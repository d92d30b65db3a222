"""Roster import limits (DOMAIN.md §1 "staff import rosters from Excel"), defaults shown."""

from pydantic import BaseModel, ConfigDict


class RosterPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    # An uploaded workbook larger than this is refused with 413. The transport cap
    # (`max_body_bytes` of the service and of the gateway, 1 MiB by default) applies first.
    max_file_bytes: int = 10 * 1024 * 1024
    # The parts of an .xlsx are zip-compressed. Before anything is inflated, the zip's directory
    # is checked against these: a workbook of `max_rows` rows inflates to about 3 MiB, so a
    # small upload that declares far more (a zip bomb) is refused without being read.
    max_unzipped_bytes: int = 12 * 1024 * 1024
    max_zip_entries: int = 100
    # Distinct texts of the workbook (its shared strings), counted while streaming that part.
    max_shared_strings: int = 100_000
    max_rows: int = 5000
    # Where a sheet is read at all: rows below and columns right of these are not looked at
    # (a single cell at XFD1048576 must not make the reader walk a million empty rows).
    max_sheet_rows: int = 20_000
    max_columns: int = 100
    # The header is the first row (among the first few non-empty ones) that names roster columns,
    # so a title row above it ("某市政协委员名单") is allowed.
    header_search_rows: int = 5
    max_name_chars: int = 50
    max_committees: int = 10
    # How often a running import writes its progress, in rows.
    progress_every_rows: int = 25
    # An import interrupted this many times (the process died each time) is marked failed.
    max_attempts: int = 3
    # How often each process looks for imports left unfinished by a process that died.
    sweep_seconds: float = 60.0


DEFAULT_POLICY = RosterPolicy()

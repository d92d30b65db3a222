"""Roster import limits (DOMAIN.md §1 "staff import rosters from Excel"), defaults shown."""

from pydantic import BaseModel, ConfigDict


class RosterPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    # An uploaded workbook larger than this is refused with 413. The transport cap
    # (`max_body_bytes` of the service and of the gateway, 1 MiB by default) applies first.
    max_file_bytes: int = 10 * 1024 * 1024
    # The parts of an .xlsx are zip-compressed; this bounds what reading it may inflate to.
    max_unzipped_bytes: int = 100 * 1024 * 1024
    max_rows: int = 5000
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

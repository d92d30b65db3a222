from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from member_svc.roster.errors import render_failure
from member_svc.roster.models import RosterImport
from member_svc.roster.rejections import render

Mode = Literal["all_or_nothing", "valid_only"]
ImportStatus = Literal["queued", "running", "done", "failed"]


class Progress(BaseModel):
    processed: int
    total: int


class Counts(BaseModel):
    total: int
    valid: int
    imported: int
    updated: int  # update mode: members of the term changed to what their row says
    rejected: int


class ReasonRead(BaseModel):
    column: str
    code: str
    message: str


class RejectedRow(BaseModel):
    row: int  # as numbered in Excel (the header is row 1)
    name: str
    reasons: list[ReasonRead]


class Failure(BaseModel):
    # internal | interrupted | what is wrong with the file: not_xlsx, old_xls, unzips_too_large,
    # too_many_parts, too_many_texts, empty, no_rows, missing_columns, too_many_rows
    code: str
    message: str


class ImportRead(BaseModel):
    id: UUID
    term_id: UUID
    mode: Mode
    create_missing: bool
    update_existing: bool
    status: ImportStatus
    progress: Progress
    counts: Counts
    created_sectors: list[str]
    created_committees: list[str]
    rejected: list[RejectedRow]
    failure: Failure | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: RosterImport, lang: str) -> "ImportRead":
        return cls(
            id=job.id,
            term_id=job.term_id,
            mode=job.mode,
            create_missing=job.create_missing,
            update_existing=job.update_existing,
            status=job.status,
            progress=Progress(processed=job.processed_rows, total=job.total_rows),
            counts=Counts(
                total=job.total_rows,
                valid=job.valid_rows,
                imported=job.imported_rows,
                updated=job.updated_rows,
                rejected=job.rejected_rows,
            ),
            created_sectors=job.created_sectors,
            created_committees=job.created_committees,
            rejected=[
                RejectedRow(
                    row=r["row"],
                    name=r["name"],
                    reasons=[
                        ReasonRead(column=x["column"], code=x["code"], message=render(x, lang))
                        for x in r["reasons"]
                    ],
                )
                for r in job.report
            ],
            failure=Failure(code=job.failure, message=render_failure(job.failure, job.failure_params, lang))
            if job.failure
            else None,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )

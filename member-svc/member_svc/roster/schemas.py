from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from cppcc_common.i18n import Text
from member_svc.roster.models import RosterImport
from member_svc.roster.rejections import render

Mode = Literal["all_or_nothing", "valid_only"]
ImportStatus = Literal["queued", "running", "done", "failed"]

FAILURES = {
    "internal": Text(
        "导入时发生内部错误，未导入任何委员，请重试。",
        "An internal error stopped the import; nothing was imported. Retry.",
    ),
    "interrupted": Text(
        "导入多次被中断，未导入任何委员，请重试。",
        "The import was interrupted too often; nothing was imported. Retry.",
    ),
}


class Progress(BaseModel):
    processed: int
    total: int


class Counts(BaseModel):
    total: int
    valid: int
    imported: int
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
    code: str
    message: str


class ImportRead(BaseModel):
    id: UUID
    term_id: UUID
    mode: Mode
    create_missing: bool
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
            status=job.status,
            progress=Progress(processed=job.processed_rows, total=job.total_rows),
            counts=Counts(
                total=job.total_rows,
                valid=job.valid_rows,
                imported=job.imported_rows,
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
            failure=Failure(code=job.failure, message=FAILURES[job.failure].render(lang))
            if job.failure
            else None,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )

"""Duty-record routes: members see their own record and rank; staff see everyone's (rule 28)."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, TypeVar
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy import select

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.clock import SHANGHAI
from cppcc_common.db import SessionDep
from cppcc_common.errors import NotFound, PayloadTooLarge, ValidationFailed
from cppcc_common.openapi import problems, raw_body
from cppcc_common.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    decode_id_cursor,
    encode_id_cursor,
    invalid_cursor,
)
from cppcc_common.text import Text
from cppcc_common.validation import HeaderText
from member_svc.duty import exporter, repository, service
from member_svc.duty.domain import HeldAction, HeldStatus
from member_svc.duty.exporter import CENTS
from member_svc.duty.models import LedgerEntry
from member_svc.duty.schemas import (
    AnnualReportRead,
    ClosedYearRead,
    ExitReviewAlertPage,
    ExitReviewAlertRead,
    HeldEntryPage,
    HeldEntryRead,
    Recomputed,
    RecordPage,
    RecordRead,
    RecordWithEntries,
    ScoringTableCreate,
    ScoringTablePage,
    ScoringTableRead,
    SectorYearPage,
    SectorYearRead,
)
from member_svc.spreadsheets import XLSX

router = APIRouter(prefix="/api/v1/duty", tags=["duty"])

MAX_REPORT_BYTES = 20 * 1024 * 1024
REPORT_TYPES = {
    "application/pdf",
    "application/msword",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _staff(p: Principal) -> bool:
    return p.has_role("admin", "leader") or (p.has_role("staff") and p.has_scope("members"))


def _closes_years(p: Principal) -> bool:
    return p.has_role("admin") or (p.has_role("staff") and p.has_scope("members"))


OWN = Permission("duty.read_own", roles={"member"})
STAFF = Permission("duty.read_all", roles={"admin", "leader", "staff"}, rule=_staff)
CLOSE = Permission("duty.close_year", roles={"admin", "staff"}, rule=_closes_years)
ADMIN = Permission("duty.scoring_table", roles={"admin"})
Member = Annotated[Principal, Depends(OWN)]
Staff = Annotated[Principal, Depends(STAFF)]
Closer = Annotated[Principal, Depends(CLOSE)]
# The routes that change state get the request's Change (checked by the same permissions).
Filing = Annotated[Change, Changing(OWN)]
Closing = Annotated[Change, Changing(CLOSE)]
Administering = Annotated[Change, Changing(ADMIN)]
Year = Annotated[int, Query(ge=2000, le=2100)]
YearOrCurrent = Annotated[
    int | None, Query(ge=2000, le=2100, description="default: the current year in Asia/Shanghai")
]


def _year(request: Request, year: int | None) -> int:
    """The asked year, or the current one in Asia/Shanghai (where the duty year is counted)."""
    if year is not None:
        return year
    now: datetime = request.app.state.runtime.clock.now()
    return now.astimezone(SHANGHAI).year


T = TypeVar("T")


def _page(
    items: list[T], key: Callable[[T], UUID], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """A page of a list computed whole (ranks, sector reports); the cursor names the page's last item."""
    if cursor is not None:
        after = decode_id_cursor(cursor)
        position = next((i for i, item in enumerate(items) if key(item) == after), None)
        if position is None:
            raise invalid_cursor()
        items = items[position + 1 :]
    page = items[:limit]
    return page, encode_id_cursor(key(page[-1])) if len(items) > limit else None


def _read(record: service.Record) -> RecordRead:
    """Points as fixed two-decimal strings, so clients never see float rounding."""
    fields = asdict(record) | {
        "categories": {k.value: v.quantize(CENTS) for k, v in record.categories.items()},
        "total": record.total.quantize(CENTS),
        "band": record.band.value,
    }
    return RecordRead(**fields)


async def _with_entries(session: SessionDep, record: service.Record) -> RecordWithEntries:
    query = select(LedgerEntry).where(
        LedgerEntry.person_id == record.person_id, LedgerEntry.year == record.year
    )
    entries = (
        await session.execute(query.order_by(LedgerEntry.occurred_on, LedgerEntry.created_at))
    ).scalars()
    return RecordWithEntries(**_read(record).model_dump(), entries=list(entries))


@router.get(
    "/records/me",
    response_model=RecordWithEntries,
    summary="My duty record (成绩单) of a year, with ranks (404: not a member that year)",
    responses=problems(NotFound),
)
async def my_record(
    principal: Member, session: SessionDep, request: Request, year: YearOrCurrent = None
) -> RecordWithEntries:
    record = await service.record_of(
        session, org_id=principal.org, person_id=principal.sub, year=_year(request, year)
    )
    return await _with_entries(session, record)


@router.get("/records", response_model=RecordPage, summary="Every member's record of a year, ranked (staff)")
async def all_records(
    principal: Staff,
    session: SessionDep,
    request: Request,
    year: YearOrCurrent = None,
    sector_id: UUID | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> RecordPage:
    rows = await service.records(session, org_id=principal.org, year=_year(request, year))
    rows = [r for r in rows if sector_id is None or r.sector_id == sector_id]
    page, next_cursor = _page(rows, lambda r: r.person_id, limit, cursor)
    return RecordPage(items=[_read(r) for r in page], next_cursor=next_cursor)


@router.get(
    "/exit-review-alerts",
    response_model=ExitReviewAlertPage,
    summary="Exit-review alerts, newest first (staff; rule 24)",
)
async def exit_review_alerts(
    principal: Staff, session: SessionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> ExitReviewAlertPage:
    rows, next_cursor = await service.exit_review_alerts(
        session, org_id=principal.org, cursor=cursor, limit=limit
    )
    items = [
        ExitReviewAlertRead(
            id=a.id,
            person_id=a.person_id,
            name=name,
            term_id=a.term_id,
            threshold=a.threshold,
            raised_at=a.raised_at,
        )
        for a, name in rows
    ]
    return ExitReviewAlertPage(items=items, next_cursor=next_cursor)


@router.get(
    "/held-entries",
    response_model=HeldEntryPage,
    summary="Entries late events gave closed years, held for review (staff)",
)
async def held_entries(
    principal: Closer,
    session: SessionDep,
    status: HeldStatus = HeldStatus.PENDING,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> HeldEntryPage:
    rows, next_cursor = await service.held_entries(
        session, org_id=principal.org, status=status, cursor=cursor, limit=limit
    )
    return HeldEntryPage(items=[HeldEntryRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/held-entries/{held_id}/apply",
    response_model=HeldEntryRead,
    summary="Apply a held entry to its closed year; the closed total follows (staff)",
)
async def apply_held_entry(held_id: UUID, change: Closing) -> HeldEntryRead:
    held = await service.decide_held_entry(
        change, org_id=change.person.org, held_id=held_id, action=HeldAction.APPLY
    )
    return HeldEntryRead.model_validate(held)


@router.post(
    "/held-entries/{held_id}/dismiss",
    response_model=HeldEntryRead,
    summary="Dismiss a held entry; its closed year stays as it was (staff)",
)
async def dismiss_held_entry(held_id: UUID, change: Closing) -> HeldEntryRead:
    held = await service.decide_held_entry(
        change, org_id=change.person.org, held_id=held_id, action=HeldAction.DISMISS
    )
    return HeldEntryRead.model_validate(held)


@router.get("/sectors", response_model=SectorYearPage, summary="Sector targets of a year (staff)")
async def sectors(
    principal: Staff,
    session: SessionDep,
    request: Request,
    year: YearOrCurrent = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> SectorYearPage:
    report = await service.sector_report(session, org_id=principal.org, year=_year(request, year))
    rows, next_cursor = _page(report, lambda r: r.sector_id, limit, cursor)
    items = [
        SectorYearRead(
            sector_id=r.sector_id,
            name=r.name,
            members=r.members,
            activities=r.tally.activities,
            outputs=r.tally.outputs,
            speeches=r.tally.speeches,
            opinions=r.tally.opinions,
            activities_met=r.targets.activities_met,
            outputs_met=r.targets.outputs_met,
            met=r.targets.met,
        )
        for r in rows
    ]
    return SectorYearPage(items=items, next_cursor=next_cursor)


@router.get(
    "/records/export",
    summary="Every member's record of a year as .xlsx (staff)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
async def export_records(
    principal: Staff,
    session: SessionDep,
    request: Request,
    year: YearOrCurrent = None,
    sector_id: UUID | None = None,
) -> Response:
    year = _year(request, year)
    content = await exporter.export_records(session, org_id=principal.org, year=year, sector_id=sector_id)
    filename = quote(f"履职积分-{year}.xlsx")
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"duty-{year}.xlsx\"; filename*=UTF-8''{filename}"
        },
    )


@router.get("/records/{person_id}", response_model=RecordWithEntries, summary="One member's record (staff)")
async def one_record(
    person_id: UUID, principal: Staff, session: SessionDep, request: Request, year: YearOrCurrent = None
) -> RecordWithEntries:
    record = await service.record_of(
        session, org_id=principal.org, person_id=person_id, year=_year(request, year)
    )
    return await _with_entries(session, record)


@router.get(
    "/scoring-tables",
    response_model=ScoringTablePage,
    summary="The organization's scoring tables, by the date they apply from",
)
async def list_tables(
    principal: Staff, session: SessionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> ScoringTablePage:
    tables = await repository.scoring_tables(session, principal.org)
    rows, next_cursor = _page(tables, lambda t: t.id, limit, cursor)
    return ScoringTablePage(items=[ScoringTableRead.model_validate(t) for t in rows], next_cursor=next_cursor)


@router.post(
    "/scoring-tables",
    status_code=201,
    response_model=ScoringTableRead,
    summary="A new scoring table, in force from its date (admin)",
)
async def add_table(body: ScoringTableCreate, change: Administering) -> ScoringTableRead:
    table = await service.add_scoring_table(
        change, org_id=change.person.org, effective_from=body.effective_from, values=body.values
    )
    return ScoringTableRead.model_validate(table)


@router.post(
    "/recompute", response_model=Recomputed, summary="Recompute a year with the tables in force (admin)"
)
async def recompute(change: Administering, year: Year) -> Recomputed:
    count = await service.recompute_year(change, org_id=change.person.org, year=year)
    return Recomputed(year=year, events=count)


@router.put(
    "/annual-reports/{year}",
    response_model=AnnualReportRead,
    summary="File my written annual report (raw file body; standing members, rule 26)",
    openapi_extra=raw_body(*REPORT_TYPES),
)
async def file_report(
    year: int,
    change: Filing,
    request: Request,
    content_type: Annotated[str, Header(alias="Content-Type")],
    filename: Annotated[
        HeaderText | None,
        Header(
            alias="X-Filename",
            max_length=600,
            description="文件名，UTF-8 百分号编码 / the file name, percent-encoded UTF-8",
            examples=["%E5%B9%B4%E5%BA%A6%E5%B1%A5%E8%81%8C%E6%8A%A5%E5%91%8A.pdf"],
        ),
    ] = None,
) -> AnnualReportRead:
    if content_type.split(";")[0].strip() not in REPORT_TYPES:
        raise ValidationFailed(Text("请上传 PDF、Word 或文本文件。", "Upload a PDF, Word or text file."))
    content = await request.body()
    if len(content) > MAX_REPORT_BYTES:
        raise PayloadTooLarge()
    if not content or not 2000 <= year <= 2100:
        raise ValidationFailed(Text("文件为空或年度无效。", "The file is empty or the year is invalid."))
    principal = change.person
    report = await service.file_annual_report(
        change,
        org_id=principal.org,
        person_id=principal.sub,
        year=year,
        filename=filename or "年度履职报告",
        content_type=content_type,
        content=content,
    )
    return AnnualReportRead.model_validate(report)


@router.post(
    "/records/{person_id}/close",
    response_model=ClosedYearRead,
    summary="Close a member's duty year (rule 26: standing members need the annual report)",
)
async def close_year(person_id: UUID, change: Closing, year: Year) -> ClosedYearRead:
    closed = await service.close_year(change, org_id=change.person.org, person_id=person_id, year=year)
    return ClosedYearRead.model_validate(closed)

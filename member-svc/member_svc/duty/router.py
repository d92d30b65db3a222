"""Duty-record routes: members see their own record and rank; staff see everyone's (rule 28)."""

import asyncio
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy import select

from cppcc_common.auth import Permission, Principal
from cppcc_common.db import SessionDep
from cppcc_common.errors import PayloadTooLarge, ValidationFailed
from cppcc_common.i18n import Text
from cppcc_common.validation import HeaderText
from member_svc.duty import repository, service
from member_svc.duty.models import LedgerEntry
from member_svc.duty.policy import Category
from member_svc.duty.schemas import (
    AnnualReportRead,
    ClosedYearRead,
    Recomputed,
    RecordRead,
    RecordWithEntries,
    ScoringTableCreate,
    ScoringTableRead,
    SectorYearRead,
)
from member_svc.roster.sheet import write_roster

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
STAFF = Permission("duty.read_all", rule=_staff)
CLOSE = Permission("duty.close_year", rule=_closes_years)
ADMIN = Permission("duty.scoring_table", roles={"admin"})
Member = Annotated[Principal, Depends(OWN)]
Staff = Annotated[Principal, Depends(STAFF)]
Closer = Annotated[Principal, Depends(CLOSE)]
Admin = Annotated[Principal, Depends(ADMIN)]
Year = Annotated[int, Query(ge=2000, le=2100)]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.runtime.clock.now()
    return now


CENTS = Decimal("0.01")


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
    return RecordWithEntries(**_read(record).model_dump(), entries=list(entries))  # type: ignore[arg-type]


@router.get(
    "/records/me", response_model=RecordWithEntries, summary="My duty record (成绩单) of a year, with ranks"
)
async def my_record(principal: Member, session: SessionDep, year: Year) -> RecordWithEntries:
    record = await service.record_of(session, org_id=principal.org, person_id=principal.sub, year=year)
    return await _with_entries(session, record)


@router.get(
    "/records", response_model=list[RecordRead], summary="Every member's record of a year, ranked (staff)"
)
async def all_records(
    principal: Staff, session: SessionDep, year: Year, sector_id: UUID | None = None
) -> list[RecordRead]:
    rows = await service.records(session, org_id=principal.org, year=year)
    return [_read(r) for r in rows if sector_id is None or r.sector_id == sector_id]


@router.get("/sectors", response_model=list[SectorYearRead], summary="Sector targets of a year (staff)")
async def sectors(principal: Staff, session: SessionDep, year: Year) -> list[SectorYearRead]:
    rows = await service.sector_report(session, org_id=principal.org, year=year)
    return [
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


BAND_LABELS = {"excellent": "优秀", "good": "良好", "competent": "称职", "fails": "不称职"}
EXPORT_HEADER = (
    "排名",
    "姓名",
    "界别",
    "界别内排名",
    "会议",
    "提案",
    "活动",
    "社情民意",
    "总分",
    "等次",
    "常委",
    "年度报告",
    "已归档",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/records/export",
    summary="Every member's record of a year as .xlsx (staff)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
async def export_records(
    principal: Staff, session: SessionDep, year: Year, sector_id: UUID | None = None
) -> Response:
    rows = [
        r
        for r in await service.records(session, org_id=principal.org, year=year)
        if sector_id is None or r.sector_id == sector_id
    ]
    sectors = {s.id: s.name for s in await repository.sectors(session, principal.org)}

    def cells(r: service.Record) -> list[str]:
        points = [str(r.categories[c].quantize(CENTS)) for c in Category]
        return [
            str(r.rank_in_org),
            r.name,
            sectors.get(r.sector_id, "") if r.sector_id else "",
            str(r.rank_in_sector or ""),
            *points,
            str(r.total.quantize(CENTS)),
            BAND_LABELS[r.band.value],
            "是" if r.is_standing else "否",
            "已交" if r.annual_report_filed else "",
            "是" if r.closed else "",
        ]

    content = await asyncio.to_thread(
        write_roster, EXPORT_HEADER, [cells(r) for r in rows], title=f"{year}年度履职积分"
    )
    filename = quote(f"履职积分-{year}.xlsx")
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"duty-{year}.xlsx\"; filename*=UTF-8''{filename}"
        },
    )


@router.get("/records/{person_id}", response_model=RecordWithEntries, summary="One member's record (staff)")
async def one_record(person_id: UUID, principal: Staff, session: SessionDep, year: Year) -> RecordWithEntries:
    record = await service.record_of(session, org_id=principal.org, person_id=person_id, year=year)
    return await _with_entries(session, record)


@router.get(
    "/scoring-tables", response_model=list[ScoringTableRead], summary="The organization's scoring tables"
)
async def list_tables(principal: Staff, session: SessionDep) -> list[ScoringTableRead]:
    return [
        ScoringTableRead.model_validate(t) for t in await repository.scoring_tables(session, principal.org)
    ]


@router.post(
    "/scoring-tables",
    status_code=201,
    response_model=ScoringTableRead,
    summary="A new scoring table, in force from its date (admin)",
)
async def add_table(
    body: ScoringTableCreate, principal: Admin, session: SessionDep, request: Request
) -> ScoringTableRead:
    table = await service.add_scoring_table(
        session,
        org_id=principal.org,
        effective_from=body.effective_from,
        values=body.values,
        actor=principal.sub,
        now=_now(request),
    )
    return ScoringTableRead.model_validate(table)


@router.post(
    "/recompute", response_model=Recomputed, summary="Recompute a year with the tables in force (admin)"
)
async def recompute(principal: Admin, session: SessionDep, request: Request, year: Year) -> Recomputed:
    count = await service.recompute_year(session, org_id=principal.org, year=year, now=_now(request))
    return Recomputed(year=year, events=count)


@router.put(
    "/annual-reports/{year}",
    response_model=AnnualReportRead,
    summary="File my written annual report (raw file body; standing members, rule 26)",
)
async def file_report(
    year: int,
    principal: Member,
    session: SessionDep,
    request: Request,
    content_type: Annotated[str, Header(alias="Content-Type")],
    filename: Annotated[HeaderText, Header(alias="X-Filename", max_length=200)] = "年度履职报告",
) -> AnnualReportRead:
    if content_type.split(";")[0].strip() not in REPORT_TYPES:
        raise ValidationFailed(Text("请上传 PDF、Word 或文本文件。", "Upload a PDF, Word or text file."))
    content = await request.body()
    if len(content) > MAX_REPORT_BYTES:
        raise PayloadTooLarge()
    if not content or not 2000 <= year <= 2100:
        raise ValidationFailed(Text("文件为空或年度无效。", "The file is empty or the year is invalid."))
    report = await service.file_annual_report(
        session,
        org_id=principal.org,
        person_id=principal.sub,
        year=year,
        filename=filename,
        content_type=content_type,
        content=content,
        now=_now(request),
    )
    return AnnualReportRead.model_validate(report)


@router.post(
    "/records/{person_id}/close",
    response_model=ClosedYearRead,
    summary="Close a member's duty year (rule 26: standing members need the annual report)",
)
async def close_year(
    person_id: UUID, principal: Closer, session: SessionDep, request: Request, year: Year
) -> ClosedYearRead:
    closed = await service.close_year(
        session, org_id=principal.org, person_id=person_id, year=year, actor=principal.sub, now=_now(request)
    )
    return ClosedYearRead.model_validate(closed)

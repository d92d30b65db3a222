"""The office's list, statistics and exports: parse → service → respond. Read-only; the proposals
office (staff with the `proposals` scope) and the organization's leaders (who see every submitted
proposal, DOMAIN.md rule 28, and act on none)."""

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from cppcc_common.auth import Permission, Principal
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.validation import CleanStr
from cppcc_common.workdays import local_date
from proposal_svc.proposals.domain import Kind, Status
from proposal_svc.proposals.repository import sees_organization_proposals
from proposal_svc.statistics import service
from proposal_svc.statistics.domain import Dimension, ListFilter, Sort
from proposal_svc.statistics.errors import UnknownRating, UnknownReplyClass
from proposal_svc.statistics.schemas import ChildStatistics, OfficePage, StatisticsTable
from proposal_svc.statistics.xlsx import XLSX

router = APIRouter(prefix="/api/v1/proposals", tags=["statistics"])

# Rule 28: who sees every submitted proposal of the organization reads its list and statistics.
READ_STATISTICS = Permission(
    "proposal.statistics", roles={"staff", "leader"}, rule=sees_organization_proposals
)
Reader = Annotated[Principal, Depends(READ_STATISTICS)]
_SPREADSHEET: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}
}

Year = Annotated[int | None, Query(ge=1949, le=2100, description="提交年度（北京时间）")]
SessionId = Annotated[UUID | None, Query(description="届次会议：在其提案征集期内提交的提案")]
KindQuery = Annotated[Kind | None, Query(description="session 大会提案 | ordinary 平时提案")]
Code = Annotated[CleanStr, Query(min_length=1, max_length=40)]


async def _today(request: Request) -> date:
    """Today in Beijing by the service's clock (a proposal is overdue from the day after its due day)."""
    today: date = local_date(request.app.state.runtime.clock.now())
    return today


Today = Annotated[date, Depends(_today)]


async def list_filter(
    year: Year = None,
    session: SessionId = None,
    kind: KindQuery = None,
    status: Annotated[list[Status], Query(max_length=12, description="状态（可多选）")] = [],  # noqa: B006
    unit: Annotated[UUID | None, Query(description="主办或分办单位")] = None,
    sector: Annotated[UUID | None, Query(description="第一提案人界别")] = None,
    party: Annotated[
        CleanStr | None, Query(min_length=1, max_length=50, description="第一提案人党派")
    ] = None,
    committee: Annotated[UUID | None, Query(description="第一提案人所在专委会")] = None,
    key: Annotated[bool | None, Query(description="重点提案")] = None,
    overdue: Annotated[bool | None, Query(description="当前超期（与 unit 同用时为该单位的部分）")] = None,
    late: Annotated[bool | None, Query(description="曾超期（超期提醒已发出）")] = None,
    rehandled: Annotated[bool | None, Query(description="经过二次办理")] = None,
    reply_class: Annotated[list[Code], Query(max_length=10, description="有该类别的答复")] = [],  # noqa: B006
    rating: Annotated[list[Code], Query(max_length=10, description="有该结果的评价")] = [],  # noqa: B006
    q: Annotated[
        CleanStr | None, Query(max_length=100, description="全文检索（案由、正文，中文分词）")
    ] = None,
    sort: Annotated[Sort, Query(description="newest 最新提交在前 | oldest | number 按立案号")] = Sort.NEWEST,
) -> ListFilter:
    return ListFilter(
        statuses=tuple(dict.fromkeys(status)),
        unit=unit,
        sector=sector,
        party=party,
        committee=committee,
        kind=kind,
        session=session,
        year=year,
        key=key,
        overdue=overdue,
        late=late,
        rehandled=rehandled,
        reply_classes=tuple(dict.fromkeys(reply_class)),
        ratings=tuple(dict.fromkeys(rating)),
        q=q,
        sort=sort,
    )


Filter = Annotated[ListFilter, Depends(list_filter)]


def _attachment(content: object, ascii_name: str, name: str) -> StreamingResponse:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return StreamingResponse(content, media_type=XLSX, headers={"Content-Disposition": disposition})  # type: ignore[arg-type]


@router.get(
    "/office",
    response_model=OfficePage,
    responses=problems(UnknownRating, UnknownReplyClass),
    summary="The office's list of the organization's proposals: filters, full-text search, sort (staff, leaders)",
)
async def office_list(
    principal: Reader,
    session: SessionDep,
    f: Filter,
    today: Today,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> OfficePage:
    items, next_cursor = await service.office_list(
        session, principal, f, today=today, cursor=cursor, limit=limit
    )
    return OfficePage(items=items, next_cursor=next_cursor)


@router.get(
    "/office/export",
    response_class=Response,
    responses={**_SPREADSHEET, **problems(UnknownRating, UnknownReplyClass)},
    summary="The office's list with the same filters as .xlsx (every row, streamed)",
)
async def export_list(
    request: Request, principal: Reader, session: SessionDep, f: Filter, today: Today
) -> StreamingResponse:
    f = await service.checked_filter(session, principal, f)
    content = service.export_list(request.app.state.runtime.sessionmaker, principal, f, today=today)
    return _attachment(content, "proposals.xlsx", "提案列表.xlsx")


async def _table(
    principal: Reader,
    session: SessionDep,
    today: Today,
    by: Annotated[
        Dimension, Query(description="按 organization 全会 | unit | sector | party | committee")
    ] = (Dimension.ORGANIZATION),
    year: Year = None,
    session_id: Annotated[UUID | None, Query(alias="session", description="届次会议")] = None,
    kind: KindQuery = None,
) -> StatisticsTable:
    base = ListFilter(year=year, session=session_id, kind=kind)
    return await service.statistics(session, principal, by, base, today=today)


@router.get(
    "/statistics",
    response_model=StatisticsTable,
    summary="Statistics by year and session, for the organization or by unit, sector, party, committee",
)
async def statistics(table: Annotated[StatisticsTable, Depends(_table)]) -> StatisticsTable:
    return table


@router.get(
    "/statistics/export",
    response_class=Response,
    responses=_SPREADSHEET,
    summary="A statistics table as .xlsx (the rows, then the total)",
)
async def export_statistics(table: Annotated[StatisticsTable, Depends(_table)]) -> StreamingResponse:
    return _attachment(service.export_table(table), f"statistics-{table.by.value}.xlsx", "提案统计.xlsx")


@router.get(
    "/statistics/children",
    response_model=ChildStatistics,
    summary="The child organizations' counts and rates side by side (a city's counties; no proposals)",
)
async def children(
    principal: Reader, session: SessionDep, today: Today, year: Year = None
) -> ChildStatistics:
    return await service.children(session, principal, year=year, today=today)


@router.get(
    "/statistics/children/export",
    response_class=Response,
    responses=_SPREADSHEET,
    summary="The child organizations' statistics as .xlsx",
)
async def export_children(
    principal: Reader, session: SessionDep, today: Today, year: Year = None
) -> StreamingResponse:
    result = await service.children(session, principal, year=year, today=today)
    return _attachment(service.export_children(result), "statistics-children.xlsx", "下级政协提案统计.xlsx")

"""Every member's record of a year as an .xlsx sheet (staff), through the one writer."""

import asyncio
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from member_svc.duty import repository, service
from member_svc.duty.policy import Category
from member_svc.spreadsheets import write_sheet

CENTS = Decimal("0.01")
BAND_LABELS = {"excellent": "优秀", "good": "良好", "competent": "称职", "fails": "不称职"}
HEADER = (
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
WIDTHS = {"界别": 20}


async def export_records(session: AsyncSession, *, org_id: UUID, year: int, sector_id: UUID | None) -> bytes:
    """The year's records ranked as on `GET /duty/records`, one row each (of one sector if asked)."""
    rows = [
        r
        for r in await service.records(session, org_id=org_id, year=year)
        if sector_id is None or r.sector_id == sector_id
    ]
    sectors = {s.id: s.name for s in await repository.sectors(session, org_id)}

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

    return await asyncio.to_thread(
        write_sheet, HEADER, [cells(r) for r in rows], title=f"{year}年度履职积分", widths=WIDTHS
    )

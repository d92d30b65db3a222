"""The roster of a term as an .xlsx with the import's columns, so that an export imports back."""

import asyncio
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from member_svc.directory.models import Term
from member_svc.roster import columns as col
from member_svc.roster import repository
from member_svc.roster.sheet import write_roster

CURRENT = ("active", "on_leave")
ALL = ("active", "on_leave", "resigned", "revoked")
STATUS_LABELS = {"active": "在任", "on_leave": "请假", "resigned": "已辞去", "revoked": "已撤销"}


async def export_roster(
    session: AsyncSession, *, org_id: UUID, term_id: UUID, include_inactive: bool
) -> tuple[Term, bytes]:
    """The term's members (by default the current ones: active and on leave) as a workbook."""
    term = await repository.term_of(session, org_id, term_id)
    members = await repository.roster(session, term_id=term.id, statuses=ALL if include_inactive else CURRENT)
    seats = await repository.seats_by_member(session, term.id)
    rows = [
        [
            person.name,
            person.phone,
            sector or "",
            member.party,
            "、".join(name for name, _ in seats.get(member.id, [])),
            col.position_text(member.leadership_position, seats.get(member.id, [])),
            "是" if member.is_standing else "否",
            STATUS_LABELS.get(member.status, member.status),
        ]
        for member, person, sector in members
    ]
    content = await asyncio.to_thread(write_roster, col.EXPORTED, rows, title=f"第{term.number}届委员")
    return term, content

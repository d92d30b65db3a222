"""Written consultation use cases, each taking a Change."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.participation import access
from consultation_svc.written import domain, repository
from consultation_svc.written.errors import (
    OpinionNotFound,
    WrittenConsultationNotFound,
    WrittenVersionMismatch,
)
from consultation_svc.written.models import WrittenConsultation, WrittenOpinion
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.consultation import OpinionSubmittedV1
from cppcc_common.ids import new_id
from cppcc_common.pagination import encode_cursor
from cppcc_common.versioning import IfMatch, check_version


async def send_out(
    change: Change, activity_id: UUID, document: str, due_at: datetime, expected: IfMatch | None
) -> tuple[WrittenConsultation, bool]:
    """The office sends the document out (or amends it, or moves the due date) for an open activity
    of form `written`; answers the row and whether it is new."""
    seen = await access.as_office(change.session, change.person, activity_id)
    access.check_form(seen.activity, domain.FORM)
    access.check_open(seen.activity)
    domain.check_due(due_at, change.now)
    row = await repository.consultation_of(change.session, activity_id, lock=True)
    if row is None:
        row = WrittenConsultation(
            activity_id=activity_id,
            org_id=seen.activity.org_id,
            document=document,
            due_at=due_at,
            created_by=change.actor,
            created_at=change.now,
            updated_at=change.now,
            version=1,
        )
        change.session.add(row)
        await change.session.flush()
        return row, True
    check_version(row.version, expected, error=WrittenVersionMismatch)
    row.document, row.due_at = document, due_at
    row.updated_at = change.now
    row.version += 1
    return row, False


async def read(
    session: AsyncSession, principal: Principal, activity_id: UUID
) -> tuple[WrittenConsultation, int | None]:
    """The document and, for the office and leaders, how many opinions came in."""
    seen = await access.see(session, principal, activity_id)
    row = await repository.consultation_of(session, activity_id)
    if row is None:
        raise WrittenConsultationNotFound()
    counted = await repository.count(session, activity_id) if seen.office or seen.leader else None
    return row, counted


async def submit(
    change: Change, activity_id: UUID, text: str, expected: IfMatch | None
) -> tuple[WrittenOpinion, bool]:
    """An invitee's opinion, or its revision, strictly before the due date."""
    seen = await access.as_invitee(change.session, change.person, activity_id)
    access.check_open(seen.activity)
    consultation = await repository.consultation_of(change.session, activity_id, lock=True)
    if consultation is None:
        raise WrittenConsultationNotFound()
    domain.check_open(consultation.due_at, change.now)
    opinion = await repository.opinion_of(change.session, activity_id, change.person.sub, lock=True)
    created = opinion is None
    if opinion is None:
        opinion = WrittenOpinion(
            id=new_id(),
            activity_id=activity_id,
            org_id=consultation.org_id,
            person_id=change.person.sub,
            text=text,
            revision=domain.next_revision(None),
            created_at=change.now,
            updated_at=change.now,
            version=1,
        )
        change.session.add(opinion)
        await change.session.flush()
    else:
        check_version(opinion.version, expected, error=WrittenVersionMismatch)
        opinion.text = text
        opinion.revision = domain.next_revision(opinion.revision)
        opinion.updated_at = change.now
        opinion.version += 1
    await change.emit(
        OpinionSubmittedV1(
            opinion_id=opinion.id,
            activity_id=activity_id,
            org_id=opinion.org_id,
            person_id=opinion.person_id,
            revision=opinion.revision,
            occurred_at=change.now,
        ),
        subject=opinion.id,
        orgid=opinion.org_id,
    )
    return opinion, created


async def mine(session: AsyncSession, principal: Principal, activity_id: UUID) -> WrittenOpinion:
    await access.see(session, principal, activity_id)
    opinion = await repository.opinion_of(session, activity_id, principal.sub)
    if opinion is None:
        raise OpinionNotFound()
    return opinion


async def page(
    session: AsyncSession, principal: Principal, activity_id: UUID, cursor: str | None, limit: int
) -> tuple[list[WrittenOpinion], str | None]:
    seen = await access.see(session, principal, activity_id)
    if await repository.consultation_of(session, activity_id) is None:
        raise WrittenConsultationNotFound()
    rows = list(await repository.page(session, principal, seen, cursor, limit))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more else None

"""Roster use cases called by the routes; the import itself runs in `jobs` through `importer`."""

import asyncio
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.ids import new_id
from member_svc.roster import repository
from member_svc.roster.errors import ImportNotFound
from member_svc.roster.models import RosterImport
from member_svc.roster.policy import RosterPolicy
from member_svc.roster.schemas import Mode
from member_svc.roster.sheet import read_roster


async def submit_import(
    session: AsyncSession,
    *,
    org_id: UUID,
    term_id: UUID,
    actor: UUID,
    mode: Mode,
    create_missing: bool,
    content: bytes,
    policy: RosterPolicy,
    now: datetime,
) -> RosterImport:
    """Reads the workbook, refusing what is no roster, and queues its rows for import."""
    await repository.term_of(session, org_id, term_id)
    rows = await asyncio.to_thread(read_roster, content, policy)
    job = RosterImport(
        id=new_id(),
        org_id=org_id,
        term_id=term_id,
        actor_id=actor,
        mode=mode,
        create_missing=create_missing,
        status="queued",
        total_rows=len(rows),
        processed_rows=0,
        valid_rows=0,
        imported_rows=0,
        rejected_rows=0,
        attempts=0,
        rows=[r.as_json() for r in rows],
        report=[],
        created_sectors=[],
        created_committees=[],
        created_at=now,
    )
    session.add(job)
    await session.flush()
    return job


async def get_import(session: AsyncSession, *, org_id: UUID, import_id: UUID) -> RosterImport:
    job = await repository.job_of(session, org_id=org_id, job_id=import_id)
    if job is None:
        raise ImportNotFound()
    return job

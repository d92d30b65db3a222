"""Roster use cases called by the routes; the import itself runs in `jobs` through `importer`."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.ids import new_id
from member_svc.roster import repository
from member_svc.roster.errors import ImportNotFound
from member_svc.roster.models import RosterImport
from member_svc.roster.schemas import Mode


async def submit_import(
    change: Change,
    *,
    org_id: UUID,
    term_id: UUID,
    mode: Mode,
    create_missing: bool,
    update_existing: bool,
    content: bytes,
) -> RosterImport:
    """Queues the upload as it is: reading the workbook is the job's (a small file may inflate to
    far more than it looks), so the upload is answered at once. The uploader is the job's actor."""
    session = change.session
    await repository.term_of(session, org_id, term_id)
    job = RosterImport(
        id=new_id(),
        org_id=org_id,
        term_id=term_id,
        actor_id=change.actor,
        mode=mode,
        create_missing=create_missing,
        update_existing=update_existing,
        status="queued",
        total_rows=0,  # known once the job has read the file
        processed_rows=0,
        valid_rows=0,
        imported_rows=0,
        rejected_rows=0,
        updated_rows=0,
        attempts=0,
        content=content,
        rows=None,
        report=[],
        created_sectors=[],
        created_committees=[],
        created_at=change.now,
    )
    session.add(job)
    await session.flush()
    return job


async def get_import(session: AsyncSession, *, org_id: UUID, import_id: UUID) -> RosterImport:
    job = await repository.job_of(session, org_id=org_id, job_id=import_id)
    if job is None:
        raise ImportNotFound()
    return job

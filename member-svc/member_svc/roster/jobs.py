"""Running roster imports in the background of the service process.

The job first reads the uploaded workbook (the upload itself is only stored, so a file that
inflates to far more than it looks never holds a request); a file that is no roster fails the
job with the reason. The rows read are stored and the file dropped.

An import runs in ONE transaction that also holds a PostgreSQL advisory lock on the job, and
that same transaction marks the job done, so the members and the "done" commit together or
not at all. Progress and the rejected rows are written in short transactions of their own so
that `GET …/imports/{id}` sees them while the import runs.

If the process dies (or is stopped) mid-import, PostgreSQL rolls the import transaction back:
nothing of it stays, and the job is left `queued` or `running`. Every process sweeps for such
jobs at start-up and then every `sweep_seconds`; a job whose lock it can take (so no live
process is running it) is run again from its stored rows. After `max_attempts` interrupted
runs the job is marked failed instead of being retried forever.
"""

import asyncio
import logging
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.auth import Principal
from cppcc_common.change import Change, system_change
from cppcc_common.clock import Clock
from cppcc_common.db import session_scope
from member_svc.roster import repository
from member_svc.roster.errors import UNREADABLE, failure_code
from member_svc.roster.importer import ImportOutcome, import_rows
from member_svc.roster.models import UNFINISHED, RosterImport
from member_svc.roster.policy import RosterPolicy
from member_svc.roster.sheet import RawRow, read_roster
from member_svc.roster.validation import RowCheck

log = logging.getLogger("member.roster")

# What the upload route admitted the uploader as (directory.MANAGE): the directory's write path
# reads the members it changes through readable(principal).
UPLOADER_ROLES, UPLOADER_SCOPES = frozenset({"staff"}), frozenset({"members"})


class ImportRunner:
    """Starts import jobs as tasks of this process and resumes the ones a dead process left."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        policy: RosterPolicy,
        *,
        source: str,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.policy = policy
        self.source = source
        self._tasks: dict[UUID, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, job_id: UUID) -> None:
        """Runs the job in the background (no-op if this process already runs it); returns at once."""
        if job_id in self._tasks:
            return
        task = asyncio.create_task(self._run(job_id), name=f"roster-import-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    def start_sweeping(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="roster-import-sweeper")

    async def resume_unfinished(self) -> None:
        async with session_scope(self.sessionmaker) as session:
            job_ids = await repository.unfinished(session)
        for job_id in job_ids:
            await self.start(job_id)

    async def close(self) -> None:
        """Stops sweeping and cancels running imports; they are resumed by the next process."""
        tasks = [*self._tasks.values(), *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.resume_unfinished()
            except Exception:
                log.exception("sweeping for unfinished roster imports failed")
            await asyncio.sleep(self.policy.sweep_seconds)

    async def _run(self, job_id: UUID) -> None:
        try:
            async with session_scope(self.sessionmaker) as session:
                if not await repository.try_lock(session, job_id):
                    return  # another process runs it
                job = await repository.job_to_run(session, job_id)
                if job is None or job.status not in UNFINISHED:
                    return
                if job.attempts >= self.policy.max_attempts:
                    await self._fail(job_id, "interrupted")
                    return
                await self._write(repository.start_attempt, job_id, self.clock.now())
                rows = await self._read(job)
                if rows is None:
                    return  # the file is no roster: the job failed saying why
                change = self._change(session, job)
                outcome = await self._import(change, job, rows)
                await repository.set_job(session, job_id, **_finished(outcome), finished_at=self.clock.now())
        except asyncio.CancelledError:
            raise  # left unfinished: the next sweep resumes it
        except Exception:
            log.exception("roster import failed", extra={"import_id": str(job_id)})
            await self._fail(job_id, "internal")

    async def _read(self, job: RosterImport) -> list[RawRow] | None:
        """The job's rows, read from the uploaded file the first time (in a thread: reading is
        blocking work) and kept, so that a resumed job does not read the file again."""
        if job.rows is not None:
            return [RawRow.from_json(r) for r in job.rows]
        try:
            rows = await asyncio.to_thread(read_roster, job.content or b"", self.policy)
        except UNREADABLE as problem:
            params = {name: str(value) for name, value in problem.params.items()}
            await self._fail(job.id, failure_code(problem), params)
            return None
        as_json = [r.as_json() for r in rows]
        await self._write(repository.set_job, job.id, rows=as_json, total_rows=len(rows), content=None)
        return rows

    def _change(self, session: AsyncSession, job: RosterImport) -> Change:
        """The import's change: the system's, made on behalf of the uploader (a manager of the
        directory: the upload checked that permission), at the clock's time when the run starts."""
        change = system_change(session, now=self.clock.now(), source=self.source)
        if job.actor_id is None:
            return change
        return change.by(
            Principal(sub=job.actor_id, org=job.org_id, roles=UPLOADER_ROLES, scopes=UPLOADER_SCOPES)
        )

    async def _import(self, change: Change, job: RosterImport, rows: list[RawRow]) -> ImportOutcome:
        reported = -1

        async def progress(processed: int, rejected: Sequence[RowCheck]) -> None:
            nonlocal reported
            values: dict[str, object] = {"processed_rows": processed}
            if len(rejected) != reported:  # the report is rewritten only when it grew
                values |= _rejected(rejected)
                reported = len(rejected)
            await self._write(repository.set_job, job.id, **values)

        return await import_rows(
            change,
            org_id=job.org_id,
            term_id=job.term_id,
            rows=rows,
            mode=job.mode,  # type: ignore[arg-type]
            create_missing=job.create_missing,
            update_existing=job.update_existing,
            policy=self.policy,
            on_progress=progress,
        )

    async def _write(self, change: object, *args: object, **values: object) -> None:
        """A change of the job in a short transaction of its own, visible at once."""
        async with session_scope(self.sessionmaker) as session:
            await change(session, *args, **values)  # type: ignore[operator]

    async def _fail(self, job_id: UUID, failure: str, params: dict[str, str] | None = None) -> None:
        try:
            await self._write(
                repository.fail_unless_finished, job_id, failure=failure, now=self.clock.now(), params=params
            )
        except Exception:  # the database is away: the job stays unfinished and is swept again
            log.exception("could not mark a roster import failed", extra={"import_id": str(job_id)})


def _rejected(rejected: Sequence[RowCheck]) -> dict[str, object]:
    return {
        "rejected_rows": len(rejected),
        "report": [c.report() for c in sorted(rejected, key=lambda c: c.row)],
    }


def _finished(outcome: ImportOutcome) -> dict[str, object]:
    return {
        "status": "done",
        "processed_rows": outcome.total,
        "valid_rows": outcome.valid,
        "imported_rows": outcome.imported,
        "updated_rows": outcome.updated,
        "rejected_rows": len(outcome.rejected),
        "report": [c.report() for c in outcome.rejected],
        "created_sectors": outcome.created_sectors,
        "created_committees": outcome.created_committees,
        "rows": None,
        "content": None,
    }

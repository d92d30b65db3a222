"""Importing checked roster rows through the directory's own use cases, so that every member,
account, sector and committee is published exactly as when added one by one (DOMAIN.md §1)."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from member_svc.directory import service as directory
from member_svc.directory.errors import AlreadyMember, PhoneBelongsToAnotherOrganization
from member_svc.directory.models import Committee, Member, Sector
from member_svc.directory.schemas import CommitteeSeat, MemberCreate, MemberUpdate, PersonRef
from member_svc.roster import columns as col
from member_svc.roster import repository
from member_svc.roster.policy import RosterPolicy
from member_svc.roster.sheet import RawRow
from member_svc.roster.validation import RowCheck, check_against, check_repeated_phones, check_row

Mode = Literal["all_or_nothing", "valid_only"]
# Called with (rows processed, rows rejected so far) while an import runs.
OnProgress = Callable[[int, Sequence[RowCheck]], Awaitable[None]]


@dataclass
class ImportOutcome:
    total: int
    valid: int
    imported: int = 0
    updated: int = 0  # update mode: members of the term whose row said something else
    rejected: list[RowCheck] = field(default_factory=list)
    created_sectors: list[str] = field(default_factory=list)
    created_committees: list[str] = field(default_factory=list)


async def check_rows(
    session: AsyncSession,
    *,
    org_id: UUID,
    term_id: UUID,
    rows: Sequence[RawRow],
    create_missing: bool,
    policy: RosterPolicy,
    update_existing: bool = False,
) -> list[RowCheck]:
    """Every row checked on its own, against the others, and against the organization."""
    checks = [check_row(raw, policy) for raw in rows]
    check_repeated_phones(checks)
    phones = [c.phone for c in checks if c.phone]
    found = await repository.known(session, org_id=org_id, term_id=term_id, phones=phones)
    check_against(checks, found, create_missing=create_missing, update_existing=update_existing)
    return checks


async def import_rows(
    change: Change,
    *,
    org_id: UUID,
    term_id: UUID,
    rows: Sequence[RawRow],
    mode: Mode,
    create_missing: bool,
    policy: RosterPolicy,
    on_progress: OnProgress | None = None,
    update_existing: bool = False,
) -> ImportOutcome:
    """Checks every row, then imports in the caller's transaction either all rows or none
    (`all_or_nothing`) or every valid row (`valid_only`). With `update_existing`, a row of a
    member already in the term updates that member to what the row says instead of being
    rejected; a row that says what the member already is changes nothing.

    `change` is the import's: its session is the one transaction, its actor the uploader (None
    for the demo's load), its `now` the time every row is written at."""
    session = change.session
    await repository.term_of(session, org_id, term_id)
    checks = await check_rows(
        session,
        org_id=org_id,
        term_id=term_id,
        rows=rows,
        create_missing=create_missing,
        policy=policy,
        update_existing=update_existing,
    )
    valid = [c for c in checks if c.ok]
    outcome = ImportOutcome(total=len(rows), valid=len(valid), rejected=[c for c in checks if not c.ok])
    run = _Run(change, org_id, term_id, mode, policy, outcome, on_progress)
    await run.report(len(outcome.rejected))
    if valid and (mode == "valid_only" or not outcome.rejected):
        try:
            async with _all_or_nothing(session, mode):
                await run.register(valid, create_missing=create_missing)
        except _Undone:
            outcome.imported, outcome.updated = 0, 0
            outcome.created_sectors, outcome.created_committees = [], []
    outcome.rejected.sort(key=lambda c: c.row)
    return outcome


class _Undone(Exception):
    """all_or_nothing: a row failed while writing, so every row is undone."""


@contextlib.asynccontextmanager
async def _all_or_nothing(session: AsyncSession, mode: Mode) -> AsyncIterator[None]:
    if mode == "all_or_nothing":
        async with session.begin_nested():  # rolled back by _Undone
            yield
    else:
        yield


@contextlib.asynccontextmanager
async def _row_savepoint(session: AsyncSession, mode: Mode) -> AsyncIterator[None]:
    """valid_only: a row that fails while writing is undone alone, and the import goes on."""
    if mode == "valid_only":
        async with session.begin_nested():
            yield
    else:
        yield


@dataclass
class _Run:
    change: Change
    org_id: UUID
    term_id: UUID
    mode: Mode
    policy: RosterPolicy
    outcome: ImportOutcome
    on_progress: OnProgress | None

    @property
    def session(self) -> AsyncSession:
        return self.change.session

    async def report(self, processed: int) -> None:
        if self.on_progress is not None:
            await self.on_progress(processed, self.outcome.rejected)

    async def register(self, valid: list[RowCheck], *, create_missing: bool) -> None:
        """Each valid row through the directory's `register_member`, as if added one by one."""
        sectors = await _ensure(self, Sector, {c.sector for c in valid if c.sector}, create_missing)
        committees = await _ensure(self, Committee, {n for c in valid for n in c.seats}, create_missing)
        self.outcome.created_sectors, self.outcome.created_committees = sectors.created, committees.created
        checked_out = len(self.outcome.rejected)
        for done, check in enumerate(valid, start=1):
            if check.member_id is None:
                await self._register_one(check, sectors.ids, committees.ids)
            else:
                await self._update_one(check, check.member_id, sectors.ids, committees.ids)
            if done % self.policy.progress_every_rows == 0:
                await self.report(checked_out + done)

    async def _register_one(
        self, check: RowCheck, sectors: dict[str, UUID], committees: dict[str, UUID]
    ) -> None:
        data = _member(check, self.term_id, sectors, committees)
        try:
            async with _row_savepoint(self.session, self.mode):
                await directory.register_member(self.change, org_id=self.org_id, data=data)
            self.outcome.imported += 1
        except (AlreadyMember, PhoneBelongsToAnotherOrganization, IntegrityError) as exc:
            # Someone added the same person between the checks and now.
            check.reject(col.PHONE, _changed_meanwhile(exc))
            self.outcome.rejected.append(check)
            if self.mode == "all_or_nothing":
                raise _Undone() from exc

    async def _update_one(
        self, check: RowCheck, member_id: UUID, sectors: dict[str, UUID], committees: dict[str, UUID]
    ) -> None:
        """Update mode: the member becomes what the row says, through the directory's own update."""
        data = _member(check, self.term_id, sectors, committees)
        changes = await _changes(self.session, member_id, data)
        if not changes:
            return
        async with _row_savepoint(self.session, self.mode):
            await directory.update_member(
                self.change,
                org_id=self.org_id,
                member_id=member_id,
                changes=MemberUpdate(**changes),
                expected_version=None,
            )
        self.outcome.updated += 1


async def _changes(session: AsyncSession, member_id: UUID, data: MemberCreate) -> dict[str, Any]:
    """What the row changes of the member (the fields a roster holds); empty when nothing."""
    member = await session.get(Member, member_id)
    assert member is not None
    fields = ("sector_id", "party", "is_standing", "leadership_position")
    changes = {f: getattr(data, f) for f in fields if getattr(member, f) != getattr(data, f)}
    seats = {s.committee_id: s.position for s in await directory.seats(session, member_id)}
    if seats != {s.committee_id: s.position for s in data.committees}:
        changes["committees"] = data.committees
    return changes


def _changed_meanwhile(exc: Exception) -> str:
    if isinstance(exc, AlreadyMember):
        return "already_member"
    if isinstance(exc, PhoneBelongsToAnotherOrganization):
        return "phone_other_org"
    return "changed_meanwhile"


@dataclass
class _Named:
    ids: dict[str, UUID]
    created: list[str]
    # Held so that they stay in the session's (weak) identity map: the directory looks each one
    # up by id for every row, and a held row costs no query.
    rows: list[Any]


async def _ensure(run: _Run, model: Any, wanted: set[str], create: bool) -> _Named:
    """The ids of the named sectors (or committees), creating the missing ones when asked to."""
    rows = await repository.named(run.session, model, run.org_id)
    ids = {row.name: row.id for row in rows}
    missing = sorted(wanted - ids.keys()) if create else []
    make = directory.create_sector if model is Sector else directory.create_committee
    for name in missing:
        rows.append(await make(run.change, org_id=run.org_id, name=name))
        ids[name] = rows[-1].id
    return _Named(ids=ids, created=missing, rows=rows)


def _member(
    check: RowCheck, term_id: UUID, sectors: dict[str, UUID], committees: dict[str, UUID]
) -> MemberCreate:
    assert check.phone is not None
    return MemberCreate(
        person=PersonRef(name=check.name, phone=check.phone),
        term_id=term_id,
        sector_id=sectors[check.sector] if check.sector else None,
        party=check.party,  # one of PARTIES: columns.party read it
        is_standing=check.is_standing,
        leadership_position=check.leadership,
        committees=[CommitteeSeat(committee_id=committees[n], position=p) for n, p in check.seats.items()],
    )

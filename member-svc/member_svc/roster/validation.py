"""Checking roster rows: each row's cells, the file as a whole (repeated phones), and the rows
against what the organization already has. Pure functions; every problem of a row is kept."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from member_svc.roster import columns as col
from member_svc.roster.columns import CellRejected
from member_svc.roster.policy import RosterPolicy
from member_svc.roster.rejections import Reason
from member_svc.roster.sheet import RawRow

T = TypeVar("T")


@dataclass
class RowCheck:
    """A row as read, with every reason it cannot be imported (none: it can)."""

    row: int
    name: str
    phone: str | None = None
    sector: str | None = None
    party: str = "无党派"
    seats: dict[str, str] = field(default_factory=dict)  # committee name → chair | vice_chair | member
    is_standing: bool = False
    leadership: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    member_id: UUID | None = None  # the term's member this row updates (update mode only)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def reject(self, column: str, code: str, **params: str) -> None:
        self.reasons.append(Reason(column=column, code=code, params=params))

    def report(self) -> dict[str, Any]:
        return {"row": self.row, "name": self.name, "reasons": [r.as_json() for r in self.reasons]}


@dataclass(frozen=True)
class KnownPerson:
    id: UUID
    org_id: UUID
    name: str


@dataclass(frozen=True)
class Known:
    """What the organization already has that a roster row may collide with or refer to."""

    org_id: UUID
    people: dict[str, KnownPerson]  # by phone, any organization
    members: dict[UUID, UUID]  # person id → member id, for the people already members of the term
    sectors: frozenset[str]
    committees: frozenset[str]


def check_row(raw: RawRow, policy: RosterPolicy) -> RowCheck:
    """The row's own cells; every cell is checked even after one failed."""
    cells = raw.cells
    check = RowCheck(row=raw.row, name=cells.get(col.NAME, ""))

    def read(column: str, parse: Callable[[str], T], default: T) -> T:
        try:
            return parse(cells.get(column, ""))
        except CellRejected as rejected:
            check.reject(column, rejected.code, **rejected.params)
            return default

    read(col.NAME, lambda t: col.name(t, policy.max_name_chars), "")
    check.phone = read(col.PHONE, col.phone, None)
    check.sector = read(col.SECTOR, lambda t: col.short_name(t, "sector") or None, None)
    check.party = read(col.PARTY, col.party, "无党派")
    check.is_standing = read(col.STANDING, col.yes_no, False)
    no_committees: list[str] = []
    committees = read(col.COMMITTEES, lambda t: _committees(t, policy), no_committees)
    positions = read(col.POSITION, lambda t: col.positions(t, committees), col.Positions())
    check.seats = {c: positions.seats.get(c, "member") for c in committees}
    check.leadership = positions.leadership
    check.is_standing = check.is_standing or positions.standing
    return check


def _committees(text: str, policy: RosterPolicy) -> list[str]:
    names = [col.short_name(n, "committee") for n in col.names_list(text)]
    if len(names) > policy.max_committees:
        raise CellRejected("too_many_committees", max=str(policy.max_committees))
    return names


def check_repeated_phones(checks: list[RowCheck]) -> None:
    """A phone on several rows rejects all of them: which row is right is for the office to say."""
    rows: dict[str, list[int]] = defaultdict(list)
    for check in checks:
        if check.phone:
            rows[check.phone].append(check.row)
    for check in checks:
        others = [r for r in rows.get(check.phone or "", []) if r != check.row]
        if others:
            check.reject(col.PHONE, "phone_duplicate", rows=", ".join(map(str, others)))


def check_against(
    checks: list[RowCheck], known: Known, *, create_missing: bool, update_existing: bool = False
) -> None:
    """Phones of other organizations, members already in the term (updated instead in update
    mode), a phone whose account has another name, and (unless missing ones are to be created)
    sectors and committees not found."""
    for check in checks:
        person = known.people.get(check.phone or "")
        if person is not None:
            if person.org_id != known.org_id:
                check.reject(col.PHONE, "phone_other_org")
            elif person.id in known.members and not update_existing:
                check.reject(col.PHONE, "already_member")
            else:
                check.member_id = known.members.get(person.id)
                if check.name and not col.same_person_name(check.name, person.name):
                    check.reject(col.NAME, "name_mismatch", existing=person.name)
        if create_missing:
            continue
        if check.sector and check.sector not in known.sectors:
            check.reject(col.SECTOR, "sector_unknown", value=check.sector)
        for committee in check.seats:
            if committee not in known.committees:
                check.reject(col.COMMITTEES, "committee_unknown", value=committee)

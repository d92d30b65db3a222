"""What the office's list filters on and what each statistics figure counts (docs/proposal-statistics.md
has the definitions in prose). Pure: no framework, no I/O.

Every figure is a count of proposals (or, for the satisfaction rate, of evaluations) that the office's
list can show: a figure carries the list's filter (`ListFilter`), so the number opens into the
proposals behind it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from urllib.parse import urlencode
from uuid import UUID

from proposal_svc.proposals.domain import Kind, Status

LIST_PATH = "/api/v1/proposals/office"

# Filed (立案) is the proposals context's FILED_STAGE: filed and every later stage. A merged proposal
# was never filed (the proposal it joined counts once); a withdrawn one left before assignment.
# Replied (办复): every part owing a reply has replied at least once (a re-handled proposal was replied).
REPLIED_STAGE = (Status.REPLIED, Status.REHANDLING, Status.CONCLUDED)
# What the office's list and the statistics count: everything past the draft (drafts are the member's).
COUNTED = tuple(s for s in Status if s not in (Status.DRAFT, Status.DELETED))


class Sort(StrEnum):
    NEWEST = "newest"  # by submission, newest first
    OLDEST = "oldest"
    NUMBER = "number"  # by filing series and number; not yet filed last


class Dimension(StrEnum):
    ORGANIZATION = "organization"
    UNIT = "unit"  # the units holding a lead or split part (a proposal counts under each)
    SECTOR = "sector"  # the first proposer's sector
    PARTY = "party"  # the first proposer's party
    COMMITTEE = "committee"  # the first proposer's committees (a proposal counts under each)


# The breakdowns whose rows partition the proposals (the first proposer's one latest member record,
# or none: 未登记): each proposal counts in exactly one row, so the rows add up to the total.
PARTITIONS = frozenset({Dimension.SECTOR, Dimension.PARTY})


@dataclass(frozen=True)
class ListFilter:
    """The office list's filters; every field left empty filters nothing."""

    statuses: tuple[Status, ...] = ()
    unit: UUID | None = None
    sector: UUID | None = None
    party: str | None = None
    committee: UUID | None = None
    kind: Kind | None = None
    session: UUID | None = None
    year: int | None = None
    key: bool | None = None
    overdue: bool | None = (
        None  # a part owing a reply is past its due day, unreplied (the unit's, with `unit`)
    )
    late: bool | None = None  # a part's overdue fired (rule 12): it was not replied on time
    rehandled: bool | None = None  # a dissatisfied rating re-opened it (rule 17)
    reply_classes: tuple[str, ...] = ()  # has a reply of one of these classes
    ratings: tuple[str, ...] = ()  # has an evaluation with one of these ratings
    q: str | None = None
    sort: Sort = Sort.NEWEST

    def query(self) -> list[tuple[str, str]]:
        """The filter as the list's query parameters, in a stable order."""
        pairs: list[tuple[str, str]] = [("status", s.value) for s in self.statuses]
        for name in ("unit", "sector", "party", "committee", "session"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, str(value)))
        if self.kind is not None:
            pairs.append(("kind", self.kind.value))
        if self.year is not None:
            pairs.append(("year", str(self.year)))
        for name in ("key", "overdue", "late", "rehandled"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, "true" if value else "false"))
        pairs += [("reply_class", c) for c in self.reply_classes]
        pairs += [("rating", r) for r in self.ratings]
        if self.q:
            pairs.append(("q", self.q))
        if self.sort != Sort.NEWEST:
            pairs.append(("sort", self.sort.value))
        return pairs

    def link(self) -> str:
        """The office's list with this filter."""
        query = urlencode(self.query())
        return f"{LIST_PATH}?{query}" if query else LIST_PATH


def narrowed(base: ListFilter, dimension: Dimension, key: str | None) -> ListFilter:
    """The base filter narrowed to one row of a table broken down by `dimension`. A row of members
    without a sector or party (key None) has no list filter of its own: it opens the whole scope."""
    if key is None or dimension == Dimension.ORGANIZATION:
        return base
    if dimension == Dimension.UNIT:
        return replace(base, unit=UUID(key))
    if dimension == Dimension.SECTOR:
        return replace(base, sector=UUID(key))
    if dimension == Dimension.COMMITTEE:
        return replace(base, committee=UUID(key))
    return replace(base, party=key)


def rate(numerator: int, denominator: int) -> float | None:
    """A share rounded to four places (0.8571 is 85.71 %); None when nothing is counted."""
    return round(numerator / denominator, 4) if denominator else None


def satisfied_ratings(evaluations: dict[str, str], dissatisfied: str) -> tuple[str, ...]:
    """The ratings the satisfaction rate counts as satisfied: every rating of the organization's list
    but the dissatisfied one (满意 and 基本满意 by default)."""
    return tuple(code for code in evaluations if code != dissatisfied)


# Each rate's numerator and denominator, as `Counts` fields: the one definition the table, its
# figures' lists and the export share (docs/proposal-statistics.md).
RATES: dict[str, tuple[str, str]] = {
    "reply_rate": ("replied", "filed"),  # 办复率 = 办复数 / 立案数
    "on_time_rate": ("on_time", "replied"),  # 按时办复率 = 按时办复数 / 办复数
    "satisfaction_rate": ("satisfied", "evaluations"),  # 满意率 = 满意数 / 评价数
}


@dataclass(frozen=True)
class Counts:
    """One row of a statistics table, as counted (docs/proposal-statistics.md)."""

    submitted: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    filed: int = 0
    replied: int = 0
    on_time: int = 0  # replied, and no part's overdue fired
    late: int = 0  # replied, after a part's overdue fired
    rehandled: int = 0
    overdue: int = 0
    evaluations: int = 0
    satisfied: int = 0

    @staticmethod
    def total_of(rows: Iterable["Counts"]) -> "Counts":
        """The rows added up (the total of a table whose rows partition the proposals)."""
        rows = list(rows)
        by_status: dict[str, int] = {}
        for row in rows:
            for status, count in row.by_status.items():
                by_status[status] = by_status.get(status, 0) + count
        summed = {
            f.name: sum(getattr(r, f.name) for r in rows) for f in fields(Counts) if f.name != "by_status"
        }
        return Counts(by_status=by_status, **summed)

    def share(self, name: str) -> float | None:
        """The rate `name` of `RATES`."""
        numerator, denominator = RATES[name]
        return rate(getattr(self, numerator), getattr(self, denominator))

    @property
    def reply_rate(self) -> float | None:
        return self.share("reply_rate")

    @property
    def on_time_rate(self) -> float | None:
        return self.share("on_time_rate")

    @property
    def satisfaction_rate(self) -> float | None:
        return self.share("satisfaction_rate")


def percent(value: float | None) -> str:
    """A rate as the office writes it (85.71%), or a dash when nothing is counted."""
    return "—" if value is None else f"{value * 100:.2f}%"


STATUS_LABELS: dict[str, str] = {
    Status.SUBMITTED: "待审查",
    Status.FILED: "已立案",
    Status.NOT_FILED: "不予立案",
    Status.MERGED: "已并案",
    Status.ASSIGNED: "已交办",
    Status.HANDLING: "办理中",
    Status.REPLIED: "已答复",
    Status.REHANDLING: "二次办理",
    Status.CONCLUDED: "已办结",
    Status.WITHDRAWN: "已撤案",
}
KIND_LABELS: dict[str, str] = {Kind.SESSION: "大会提案", Kind.ORDINARY: "平时提案"}
DIMENSION_LABELS: dict[Dimension, str] = {
    Dimension.ORGANIZATION: "单位",
    Dimension.UNIT: "承办单位",
    Dimension.SECTOR: "界别",
    Dimension.PARTY: "党派",
    Dimension.COMMITTEE: "专委会",
}
UNKNOWN_LABEL = "未登记"

# The office's columns, in its order (the list's export).
LIST_COLUMNS = (
    "提案号",
    "案由",
    "第一提案人",
    "界别",
    "党派",
    "提案类别",
    "提交日期",
    "状态",
    "重点提案",
    "承办单位",
    "答复期限",
    "是否超期",
    "答复类别",
)


def table_columns(dimension: Dimension) -> tuple[str, ...]:
    """A statistics table's columns, in the office's order: the row, the counts by status, then the
    totals and rates."""
    return (
        DIMENSION_LABELS[dimension],
        "提交总数",
        *(STATUS_LABELS[s] for s in COUNTED),
        "立案数",
        "办复数",
        "办复率",
        "按时办复数",
        "超期办复数",
        "按时办复率",
        "评价数",
        "满意数",
        "满意率",
        "二次办理数",
        "当前超期数",
    )


def table_row(label: str, counts: Counts) -> list[object]:
    """One table row's cells, in `table_columns` order."""
    return [
        label,
        counts.submitted,
        *(counts.by_status.get(s, 0) for s in COUNTED),
        counts.filed,
        counts.replied,
        percent(counts.reply_rate),
        counts.on_time,
        counts.late,
        percent(counts.on_time_rate),
        counts.evaluations,
        counts.satisfied,
        percent(counts.satisfaction_rate),
        counts.rehandled,
        counts.overdue,
    ]

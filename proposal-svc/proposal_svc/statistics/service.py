"""Use cases of the office's list, statistics and exports (all reads)."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.auth import Principal
from cppcc_common.clock import SHANGHAI
from proposal_svc.policies.domain import DISSATISFIED
from proposal_svc.proposals import repository as proposals
from proposal_svc.proposals.domain import FILED_STAGE, number_label
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.similar import segmenter
from proposal_svc.statistics import repository, xlsx
from proposal_svc.statistics.domain import (
    COUNTED,
    KIND_LABELS,
    LIST_COLUMNS,
    PARTITIONS,
    RATES,
    REPLIED_STAGE,
    STATUS_LABELS,
    UNKNOWN_LABEL,
    Counts,
    Dimension,
    ListFilter,
    narrowed,
    satisfied_ratings,
    table_columns,
    table_row,
)
from proposal_svc.statistics.errors import UnknownRating, UnknownReplyClass
from proposal_svc.statistics.schemas import (
    ChildStatistics,
    Figure,
    OfficeListItem,
    Rate,
    StatisticsRow,
    StatisticsTable,
)

EXPORT_BATCH = 1000  # rows fetched from the server-side cursor at a time
LIST_WIDTHS = (12, 40, 10, 14, 10, 10, 12, 10, 8, 30, 12, 8, 10)


def _every_term(f: ListFilter) -> str | None:
    """The query's terms segmented as the index was (the similar context's segmenter), all required."""
    return segmenter.tsquery_all(segmenter.terms(f.q)) or None if f.q else None


def _checked(f: ListFilter, policy: ProposalPolicy) -> ListFilter:
    """The filter with an empty text dropped; 422 for a class or rating the organization has not."""
    unknown_class = [c for c in f.reply_classes if c not in policy.reply_classes]
    if unknown_class:
        raise UnknownReplyClass(allowed=" / ".join(policy.reply_classes))
    if any(r not in policy.evaluations for r in f.ratings):
        raise UnknownRating(allowed=" / ".join(policy.evaluations))
    q = f.q.strip() if f.q else None
    return replace(f, q=q or None)


def _item(row: Any) -> OfficeListItem:
    return OfficeListItem(
        id=row.id,
        number=number_label(row.filing_number) if row.filing_number is not None else None,
        filing_series=row.filing_series,
        title=row.title,
        status=row.status,
        kind=row.kind,
        submitted_at=row.submitted_at,
        is_key=row.is_key,
        author_kind=row.author_kind,
        author_name=row.author_name,
        first_proposer_id=row.first_proposer_id,
        first_proposer_name=row.first_proposer_name,
        sector=row.sector,
        party=row.party,
        units=row.units.split("、") if row.units else [],
        reply_due_on=row.reply_due_on,
        overdue=bool(row.overdue),
        reply_classes=row.reply_classes.split("、") if row.reply_classes else [],
    )


async def office_list(
    session: AsyncSession, principal: Principal, f: ListFilter, *, today: date, cursor: str | None, limit: int
) -> tuple[list[OfficeListItem], str | None]:
    """A page of the office's list (rule 28: the caller's organization, what they may read)."""
    f = _checked(f, await proposals.policy_for(session, principal.org))
    after = repository.decode_cursor(f.sort, cursor) if cursor else None
    stmt = repository.list_statement(
        principal, f, today=today, every_term=_every_term(f), after=after, limit=limit + 1
    )
    rows = list(await repository.page(session, stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return [_item(r) for r in rows], repository.encode_cursor(f.sort, rows[-1]) if more else None


def _export_row(row: Any) -> list[object]:
    return [
        number_label(row.filing_number) if row.filing_number is not None else "",
        row.title,
        row.author_name or row.first_proposer_name or "",
        row.sector or "",
        row.party or "",
        KIND_LABELS.get(row.kind or "", ""),
        row.submitted_at.astimezone(SHANGHAI).date() if row.submitted_at else "",
        STATUS_LABELS.get(row.status, row.status),
        "是" if row.is_key else "",
        row.units or "",
        row.reply_due_on or "",
        "超期" if row.overdue else "",
        "、".join(f"{c}类" for c in row.reply_classes.split("、")) if row.reply_classes else "",
    ]


async def checked_filter(session: AsyncSession, principal: Principal, f: ListFilter) -> ListFilter:
    """The export's filter checked before the first byte leaves (a 422 cannot follow a 200)."""
    return _checked(f, await proposals.policy_for(session, principal.org))


async def export_list(
    sessions: async_sessionmaker[AsyncSession], principal: Principal, f: ListFilter, *, today: date
) -> AsyncIterator[bytes]:
    """The whole list (no page) as .xlsx, streamed: rows from a server-side cursor, `EXPORT_BATCH` at a
    time, into the workbook's bytes as they are sent. Its own session: the request's unit of work has
    ended by the time the body is sent."""
    stmt = repository.list_statement(principal, f, today=today, every_term=_every_term(f))
    async with sessions() as session:

        async def rows() -> AsyncIterator[Sequence[object]]:
            async for row in repository.stream_rows(session, stmt, EXPORT_BATCH):
                yield _export_row(row)

        async for chunk in xlsx.workbook("提案列表", LIST_COLUMNS, rows(), widths=LIST_WIDTHS):
            yield chunk


# --- statistics ---------------------------------------------------------------------------------


def _figure(value: int, f: ListFilter | None) -> Figure:
    return Figure(value=value, list=f.link() if f is not None else None)


def statistics_row(
    key: str | None, label: str, counts: Counts, scope: ListFilter | None, policy: ProposalPolicy
) -> StatisticsRow:
    """One row, each figure with its list (`scope` None: counts and rates only, no lists)."""

    def f(**changes: Any) -> ListFilter | None:
        return replace(scope, **changes) if scope is not None else None

    satisfied = satisfied_ratings(policy.evaluations, DISSATISFIED)
    figures = {
        "submitted": _figure(counts.submitted, scope),
        "filed": _figure(counts.filed, f(statuses=FILED_STAGE)),
        "replied": _figure(counts.replied, f(statuses=REPLIED_STAGE)),
        "on_time": _figure(counts.on_time, f(statuses=REPLIED_STAGE, late=False)),
        "late": _figure(counts.late, f(statuses=REPLIED_STAGE, late=True)),
        "evaluations": _figure(counts.evaluations, f(ratings=tuple(policy.evaluations))),
        "satisfied": _figure(counts.satisfied, f(ratings=satisfied)),
        "rehandled": _figure(counts.rehandled, f(rehandled=True)),
        "overdue": _figure(counts.overdue, f(overdue=True)),
    }
    rates = {
        name: Rate(value=counts.share(name), numerator=figures[num], denominator=figures[den])
        for name, (num, den) in RATES.items()
    }
    return StatisticsRow(
        key=key,
        label=label,
        statuses={s: _figure(counts.by_status.get(s, 0), f(statuses=(s,))) for s in COUNTED},
        **figures,
        **rates,
    )


def _label(dimension: Dimension, key: str | None, names: dict[str, str]) -> str:
    if key is None:
        return "合计" if dimension == Dimension.ORGANIZATION else UNKNOWN_LABEL
    return names.get(key, key if dimension == Dimension.PARTY else UNKNOWN_LABEL)


async def statistics(
    session: AsyncSession, principal: Principal, by: Dimension, base: ListFilter, *, today: date
) -> StatisticsTable:
    """The organization's table broken down by `by`, and its total (a proposal counted under several
    units or committees counts once in the total)."""
    policy = await proposals.policy_for(session, principal.org)
    satisfied = satisfied_ratings(policy.evaluations, DISSATISFIED)
    rows: list[StatisticsRow] = []
    found: dict[str | None, Counts] = {}
    if by != Dimension.ORGANIZATION:
        found = await repository.counts(session, principal, base, by, today=today, satisfied=satisfied)
        names = await repository.names(session, by, principal.org)
        for key, counts in found.items():
            scope = narrowed(base, by, key) if key is not None else None
            rows.append(statistics_row(key, _label(by, key, names), counts, scope, policy))
        rows.sort(key=lambda r: (r.key is None, -r.submitted.value, r.label))
    if by in PARTITIONS:  # each proposal in exactly one row: the total is their sum
        total_counts = Counts.total_of(found.values())
    else:
        totals = await repository.counts(
            session, principal, base, Dimension.ORGANIZATION, today=today, satisfied=satisfied
        )
        total_counts = totals.get(None, Counts())
    total = statistics_row(None, "合计", total_counts, base, policy)
    return StatisticsTable(
        by=by, year=base.year, session=base.session, kind=base.kind, as_of=today, total=total, rows=rows
    )


async def children(
    session: AsyncSession, principal: Principal, *, year: int | None, today: date
) -> ChildStatistics:
    """Each child organization's counts and rates (DOMAIN.md §1: a city and its counties), side by
    side; no list behind them, for the parent may not read a child's proposals (rule 28)."""
    rows: list[StatisticsRow] = []
    base = ListFilter(year=year)
    for child in await repository.children_of(session, principal.org):
        policy = await proposals.policy_for(session, child.org_id)
        satisfied = satisfied_ratings(policy.evaluations, DISSATISFIED)
        found = await repository.counts(
            session,
            principal,
            base,
            Dimension.ORGANIZATION,
            today=today,
            satisfied=satisfied,
            org_id=child.org_id,
        )
        rows.append(statistics_row(str(child.org_id), child.name, found.get(None, Counts()), None, policy))
    return ChildStatistics(year=year, as_of=today, rows=rows)


def _table_rows(table: Sequence[StatisticsRow], total: StatisticsRow | None) -> list[list[object]]:
    def counts(row: StatisticsRow) -> Counts:
        return Counts(
            submitted=row.submitted.value,
            by_status={s: fig.value for s, fig in row.statuses.items()},
            filed=row.filed.value,
            replied=row.replied.value,
            on_time=row.on_time.value,
            late=row.late.value,
            rehandled=row.rehandled.value,
            overdue=row.overdue.value,
            evaluations=row.evaluations.value,
            satisfied=row.satisfied.value,
        )

    rows = [table_row(r.label, counts(r)) for r in table]
    if total is not None:
        rows.append(table_row("合计", counts(total)))
    return rows


async def _rows_of(rows: list[list[object]]) -> AsyncIterator[Sequence[object]]:
    for row in rows:
        yield row


def export_table(table: StatisticsTable) -> AsyncIterator[bytes]:
    """A statistics table as .xlsx: the rows of the breakdown, then the total."""
    columns = table_columns(table.by)
    rows = _table_rows(table.rows, table.total)
    title = f"提案统计（{DIMENSION_TITLES[table.by]}）"
    return xlsx.workbook(title, columns, _rows_of(rows), widths=(24,) + (10,) * (len(columns) - 1))


def export_children(result: ChildStatistics) -> AsyncIterator[bytes]:
    columns = ("下级政协", *table_columns(Dimension.ORGANIZATION)[1:])
    rows = _table_rows(result.rows, None)
    return xlsx.workbook(
        "下级政协提案统计", columns, _rows_of(rows), widths=(24,) + (10,) * (len(columns) - 1)
    )


DIMENSION_TITLES = {
    Dimension.ORGANIZATION: "全会",
    Dimension.UNIT: "按承办单位",
    Dimension.SECTOR: "按界别",
    Dimension.PARTY: "按党派",
    Dimension.COMMITTEE: "按专委会",
}

"""The office's list, statistics and exports against a fixed data set whose figures were computed
by hand (tests/statistics_data.py; the definitions are in docs/proposal-statistics.md)."""

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.settings import Settings
from proposal_svc.statistics.domain import LIST_COLUMNS, Dimension, table_columns

from . import statistics_data as data

RATES = ("reply_rate", "on_time_rate", "satisfaction_rate")


@pytest.fixture(scope="module")
async def world(settings: Settings) -> data.World:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await data.build(conn)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def app_client(
    settings: Settings, issuer: TestIssuer, world: data.World
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, key_source=issuer.key_source(), clock=FakeClock(data.NOW))
    async with serve_app(app) as c:
        yield c


def _h(issuer: TestIssuer, **claims: Any) -> dict[str, str]:
    """A token valid at the test's time (the service's clock stands at data.NOW)."""
    now = int(data.NOW.timestamp())
    return issuer.headers(iat=now, exp=now + 900, **claims)


def _staff(issuer: TestIssuer, org: Any) -> dict[str, str]:
    return _h(issuer, org=org, roles=["staff"], scopes=["proposals"])


def _values(row: dict[str, Any]) -> dict[str, Any]:
    figures = {k: row[k]["value"] for k in data.ORGANIZATION_2026 if k not in RATES}
    return {**figures, **{k: row[k]["value"] for k in RATES}}


async def _listed(client: httpx.AsyncClient, headers: dict[str, str], link: str) -> set[str]:
    """Every proposal the list behind a figure names (followed page by page)."""
    parts = urlsplit(link)
    params = [*parse_qsl(parts.query), ("limit", "2")]
    found: list[str] = []
    cursor = None
    while True:
        r = await client.get(
            parts.path, params=params + ([("cursor", cursor)] if cursor else []), headers=headers
        )
        assert r.status_code == 200, r.text
        found += [item["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert len(found) == len(set(found))  # no proposal twice across pages
    return set(found)


async def test_statistics_of_the_organization_match_the_hand_computed_figures(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    r = await app_client.get(
        "/api/v1/proposals/statistics", params={"year": 2026}, headers=_staff(issuer, world.org)
    )
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert _values(total) == data.ORGANIZATION_2026
    assert {s: f["value"] for s, f in total["statuses"].items()} == data.BY_STATUS_2026
    assert total["reply_rate"]["numerator"]["value"] == 3 and total["reply_rate"]["denominator"]["value"] == 5
    assert r.json()["as_of"] == "2026-06-15"


async def test_rule_11_statistics_by_unit_count_each_units_own_part_never_a_cohandlers(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    """A lead or split part owes the proposer a reply (rule 9); a co-handler's does not (rule 11):
    市教育局 co-handles P4 and does not count it."""
    r = await app_client.get(
        "/api/v1/proposals/statistics", params={"year": 2026, "by": "unit"}, headers=_staff(issuer, world.org)
    )
    assert r.status_code == 200, r.text
    rows = {row["label"]: row for row in r.json()["rows"]}
    assert set(rows) == {"市教育局", "市交通运输局"}
    assert _values(rows["市教育局"]) == data.U1_2026
    assert _values(rows["市交通运输局"]) == data.U2_2026


async def test_statistics_by_sector_party_and_committee(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    headers = _staff(issuer, world.org)

    async def table(by: str) -> dict[str, int]:
        r = await app_client.get(
            "/api/v1/proposals/statistics", params={"year": 2026, "by": by}, headers=headers
        )
        assert r.status_code == 200, r.text
        return {row["label"]: row["submitted"]["value"] for row in r.json()["rows"]}

    assert await table("sector") == {"经济界": 4, "教育界": 3, "未登记": 2}
    assert await table("party") == {"民盟": 4, "中共": 3, "无党派": 2}
    assert await table("committee") == {"提案委员会": 7, "经济委员会": 3}


async def test_every_tables_total_is_the_organizations(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    """By sector and party the total is the rows' sum (they partition the proposals); by unit and
    committee it is counted once per proposal. Either way it is the organization's."""
    headers = _staff(issuer, world.org)
    for by in Dimension:
        r = await app_client.get(
            "/api/v1/proposals/statistics", params={"year": 2026, "by": by.value}, headers=headers
        )
        total = r.json()["total"]
        assert _values(total) == data.ORGANIZATION_2026, by
        assert {s: f["value"] for s, f in total["statuses"].items()} == data.BY_STATUS_2026, by


async def test_statistics_by_year_and_session(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    headers = _staff(issuer, world.org)
    r = await app_client.get("/api/v1/proposals/statistics", params={"year": 2025}, headers=headers)
    assert r.json()["total"]["submitted"]["value"] == 1  # P10
    assert r.json()["total"]["reply_rate"]["value"] == 0.0
    r = await app_client.get("/api/v1/proposals/statistics", headers=headers)
    assert r.json()["total"]["submitted"]["value"] == 10  # every year; never the draft
    # Every proposal of 2026 was submitted on 10 March, inside the session's window.
    r = await app_client.get(
        "/api/v1/proposals/statistics", params={"session": str(world.session)}, headers=headers
    )
    assert r.json()["total"]["submitted"]["value"] == 9
    r = await app_client.get(
        "/api/v1/proposals/statistics", params={"year": 2026, "kind": "ordinary"}, headers=headers
    )
    assert r.json()["total"]["submitted"]["value"] == 2  # P5, P9


async def test_the_year_is_beijings_calendar_year(
    app_client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings
) -> None:
    """A proposal submitted at midnight in Beijing on New Year's Day (16:00 UTC the day before) is of
    the new year; one a second earlier is of the old."""
    w = data.World()
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            old = await data._proposal(
                conn, w, "OLD", "submitted", w.a, submitted=datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC)
            )
            new = await data._proposal(
                conn, w, "NEW", "submitted", w.a, submitted=datetime(2025, 12, 31, 16, tzinfo=UTC)
            )
    finally:
        await engine.dispose()
    headers = _staff(issuer, w.org)
    for year, expected in ((2025, old), (2026, new)):
        r = await app_client.get("/api/v1/proposals/office", params={"year": year}, headers=headers)
        assert [i["id"] for i in r.json()["items"]] == [str(expected)], year
        r = await app_client.get("/api/v1/proposals/statistics", params={"year": year}, headers=headers)
        assert r.json()["total"]["submitted"]["value"] == 1, year


async def test_every_figure_opens_into_the_list_behind_it(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    """Each count of each table is the number of proposals its list link shows (evaluations count
    ratings, one per proposal in this data set)."""
    headers = _staff(issuer, world.org)
    checked = 0
    for by in ("organization", "unit", "sector", "party", "committee"):
        r = await app_client.get(
            "/api/v1/proposals/statistics", params={"year": 2026, "by": by}, headers=headers
        )
        for row in [r.json()["total"], *r.json()["rows"]]:
            if row["key"] is None and row["label"] != "合计":
                continue  # members without a sector: no filter of their own (docs)
            figures = [row[k] for k in data.ORGANIZATION_2026 if k not in RATES]
            figures += list(row["statuses"].values())
            for figure in figures:
                assert len(await _listed(app_client, headers, figure["list"])) == figure["value"], figure
                checked += 1
    assert checked > 100


async def test_figures_name_the_proposals_by_hand(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    headers = _staff(issuer, world.org)
    r = await app_client.get(
        "/api/v1/proposals/statistics", params={"year": 2026, "by": "unit"}, headers=headers
    )
    u2 = next(row for row in r.json()["rows"] if row["key"] == str(world.u2))
    overdue = await _listed(app_client, headers, u2["overdue"]["list"])
    assert overdue == {str(world.p["P4"]), str(world.p["P5"])}
    total = r.json()["total"]
    assert await _listed(app_client, headers, total["late"]["list"]) == {str(world.p["P2"])}
    assert await _listed(app_client, headers, total["rehandled"]["list"]) == {str(world.p["P3"])}


async def test_list_filters(app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World) -> None:
    headers = _staff(issuer, world.org)

    async def ids(**params: Any) -> set[str]:
        r = await app_client.get("/api/v1/proposals/office", params={"limit": 100, **params}, headers=headers)
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    p = {k: str(v) for k, v in world.p.items()}
    assert await ids(year=2026, q="电梯") == {p["P1"], p["P8"]}  # segmented Chinese full text
    assert await ids(q="老旧小区加装电梯") == {p["P1"]}
    assert await ids(reply_class="B") == {p["P2"]}
    assert await ids(rating=["satisfied", "basically_satisfied"]) == {p["P1"], p["P2"]}
    assert await ids(unit=str(world.u1), overdue="false", status="assigned") == {p["P5"]}
    assert await ids(unit=str(world.u1), overdue="true") == set()
    assert await ids(party="无党派") == {p["P5"], p["P6"]}
    assert await ids(sector=str(world.s2), committee=str(world.c2)) == {p["P3"], p["P4"], p["P8"]}
    assert await ids(key="true") == set()
    assert await ids(status=["withdrawn", "merged"]) == {p["P8"], p["P9"]}
    assert p["P11"] not in await ids()  # the member's draft is theirs
    assert str(world.child_proposal) not in await ids()


async def test_q_with_the_syntax_of_tsquery_or_like_is_matched_as_text(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    """`q` reaches a tsquery and an ILIKE: their operators and wildcards are text, never syntax."""
    headers = _staff(issuer, world.org)
    for q in ("%", "_", "\\", "'", "!", "&|!():*", "电梯' | '小区", "电梯%", "a:*"):
        r = await app_client.get("/api/v1/proposals/office", params={"q": q, "limit": 100}, headers=headers)
        assert r.status_code == 200, (q, r.text)
        if q in ("%", "_", "\\"):  # no title holds these characters (nor are they terms)
            assert r.json()["items"] == [], q
    r = await app_client.get("/api/v1/proposals/office", params={"q": "电梯' | '小区"}, headers=headers)
    assert {i["id"] for i in r.json()["items"]} == {str(world.p["P1"]), str(world.p["P8"])}  # both terms


async def test_list_rows_carry_what_the_columns_show(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    r = await app_client.get(
        "/api/v1/proposals/office", params={"sort": "number", "year": 2026}, headers=_staff(issuer, world.org)
    )
    items = r.json()["items"]
    assert [i["number"] for i in items[:5]] == ["第0001号", "第0002号", "第0003号", "第0004号", "第0005号"]
    p5 = items[4]
    assert p5["first_proposer_name"] == "王芳" and p5["party"] == "无党派" and p5["sector"] is None
    assert p5["units"] == ["市交通运输局", "市教育局"] or p5["units"] == ["市教育局", "市交通运输局"]
    assert p5["overdue"] is True and p5["reply_due_on"] == "2026-06-10"
    assert items[0]["reply_classes"] == ["A"] and items[0]["sector"] == "经济界"


@pytest.mark.parametrize("sort", ["newest", "oldest", "number"])
async def test_list_pages_follow_each_sort(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World, sort: str
) -> None:
    headers = _staff(issuer, world.org)
    every = await _listed(app_client, headers, f"/api/v1/proposals/office?sort={sort}")
    assert len(every) == 10


async def test_a_cursor_of_another_sort_or_forged_is_422(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    headers = _staff(issuer, world.org)
    r = await app_client.get("/api/v1/proposals/office", params={"limit": 1}, headers=headers)
    cursor = r.json()["next_cursor"]
    for params in (
        {"cursor": cursor, "sort": "number"},
        {"cursor": "bm90IGpzb24"},
        {"cursor": "WyJudW1iZXIiLDEsMiwzXQ"},
    ):
        r = await app_client.get("/api/v1/proposals/office", params=params, headers=headers)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_unknown_reply_class_or_rating_is_422(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    headers = _staff(issuer, world.org)
    for params in ({"reply_class": "Z"}, {"rating": "happy"}):
        r = await app_client.get("/api/v1/proposals/office", params=params, headers=headers)
        assert r.status_code == 422
        assert r.json()["code"] in ("statistics.unknown_reply_class", "statistics.unknown_rating")


async def test_rule_28_leaders_read_the_list_and_statistics_others_do_not(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    leader = _h(issuer, org=world.org, roles=["leader"])
    assert (await app_client.get("/api/v1/proposals/office", headers=leader)).status_code == 200
    r = await app_client.get("/api/v1/proposals/statistics", params={"year": 2026}, headers=leader)
    assert r.json()["total"]["submitted"]["value"] == 9
    for headers in (
        _h(issuer, org=world.org, roles=["member"], sub=world.a),
        _h(issuer, org=world.org, roles=["staff"], scopes=["consultation"]),
        _h(issuer, org=world.org, roles=["unit_user"], unit=world.u1),
        _h(issuer, org=world.org, roles=["admin"]),
    ):
        for path in ("/office", "/statistics", "/office/export", "/statistics/children"):
            assert (await app_client.get(f"/api/v1/proposals{path}", headers=headers)).status_code == 403
    # Another organization's office counts only its own.
    other = _staff(issuer, world.other_org)
    r = await app_client.get("/api/v1/proposals/statistics", params={"year": 2026}, headers=other)
    assert r.json()["total"]["submitted"]["value"] == 1


async def test_rule_28_another_organizations_ids_in_the_filters_find_nothing(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    """Another organization's office names this organization's unit, sector, committee and session:
    it finds none of their proposals, only (without them) its own one."""
    other = _staff(issuer, world.other_org)
    foreign = {
        "unit": world.u1,
        "sector": world.s1,
        "committee": world.c1,
        "session": world.session,  # its window holds the other organization's proposal's submission
    }
    r = await app_client.get("/api/v1/proposals/office", params={"year": 2026}, headers=other)
    assert [i["title"] for i in r.json()["items"]] == ["关于县域公共文化服务的建议"]
    for name, value in foreign.items():
        params = {"year": 2026, name: str(value)}
        r = await app_client.get("/api/v1/proposals/office", params=params, headers=other)
        assert r.status_code == 200 and r.json()["items"] == [], (name, r.text)
        r = await app_client.get("/api/v1/proposals/office/export", params=params, headers=other)
        assert _workbook(r.content) == [LIST_COLUMNS], name
    r = await app_client.get(
        "/api/v1/proposals/statistics", params={"session": str(world.session)}, headers=other
    )
    assert r.json()["total"]["submitted"]["value"] == 0
    for by in ("unit", "sector", "committee", "party"):
        r = await app_client.get("/api/v1/proposals/statistics", params={"by": by}, headers=other)
        assert r.status_code == 200 and r.json()["total"]["submitted"]["value"] == 1
        assert all(row["label"] == "未登记" for row in r.json()["rows"]), (by, r.json()["rows"])


async def test_rule_28_a_parent_sees_its_childrens_counts_and_rates_never_their_proposals(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    headers = _staff(issuer, world.org)
    r = await app_client.get("/api/v1/proposals/statistics/children", params={"year": 2026}, headers=headers)
    assert r.status_code == 200, r.text
    [child] = r.json()["rows"]
    assert child["key"] == str(world.child) and child["label"] == "示例县政协"
    assert child["submitted"]["value"] == 1 and child["statuses"]["concluded"]["value"] == 1
    assert child["reply_rate"]["value"] == 1.0
    # Counts and rates only: no figure opens into the child's proposals.
    assert child["submitted"]["list"] is None and child["reply_rate"]["numerator"]["list"] is None
    r = await app_client.get(f"/api/v1/proposals/{world.child_proposal}", headers=headers)
    assert r.status_code == 404
    # A child sees no parent's statistics (it has no children), nor does another organization.
    for org in (world.child, world.other_org):
        r = await app_client.get("/api/v1/proposals/statistics/children", headers=_staff(issuer, org))
        assert r.json()["rows"] == []


def _workbook(content: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def test_the_list_exports_as_xlsx_with_the_same_filters(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    r = await app_client.get(
        "/api/v1/proposals/office/export",
        params={"year": 2026, "sort": "number"},
        headers=_staff(issuer, world.org),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["content-disposition"]
    rows = _workbook(r.content)
    assert rows[0] == LIST_COLUMNS
    assert len(rows) == 1 + 9
    first = dict(zip(LIST_COLUMNS, rows[1], strict=True))
    assert first["提案号"] == "第0001号" and first["案由"] == "关于加快老旧小区加装电梯的建议"
    assert first["第一提案人"] == "张明" and first["界别"] == "经济界" and first["状态"] == "已办结"
    assert first["答复类别"] == "A类" and first["提交日期"] == "2026-03-10"


async def test_export_filters_are_checked_before_the_first_byte(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    r = await app_client.get(
        "/api/v1/proposals/office/export", params={"reply_class": "Z"}, headers=_staff(issuer, world.org)
    )
    assert r.status_code == 422


async def test_every_statistics_table_exports_as_xlsx(
    app_client: httpx.AsyncClient, issuer: TestIssuer, world: data.World
) -> None:
    headers = _staff(issuer, world.org)
    for by in Dimension:
        r = await app_client.get(
            "/api/v1/proposals/statistics/export", params={"year": 2026, "by": by.value}, headers=headers
        )
        assert r.status_code == 200, r.text
        rows = _workbook(r.content)
        assert rows[0] == table_columns(by)
        total = dict(zip(rows[0], rows[-1], strict=True))
        assert total["提交总数"] == 9 and total["办复率"] == "60.00%" and total["按时办复率"] == "66.67%"
        assert total[rows[0][0]] == "合计"
    r = await app_client.get(
        "/api/v1/proposals/statistics/children/export", params={"year": 2026}, headers=headers
    )
    rows = _workbook(r.content)
    assert rows[0][0] == "下级政协" and rows[1][0] == "示例县政协" and rows[1][1] == 1

"""Similar proposals through the API on real PostgreSQL and NATS: the index kept by the consumer of
the proposals' own `submitted` event, the suggestions while typing (rule 28: a member never sees
another member's unpublished proposal, another organization nothing), and the office's merge
candidates (rule 8: submitted or filed proposals of the same series)."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.db import create_engine
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.settings import Settings

from .conftest import enrol

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
AUTHOR, OTHER_MEMBER, COSIGNER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)

ELEVATOR = {
    "title": "关于加快推进老旧小区加装电梯的建议",
    "situation": "全市多层住宅大多没有电梯，高龄居民上下楼困难；加装电梯审批流程长，费用分摊难，低层住户意见大。",
    "suggestions": ["出台加装电梯费用分摊指导意见", "推行加装电梯并联审批，提高财政补贴标准"],
}
ELEVATOR_AGAIN = {
    "title": "关于破解既有住宅加装电梯难题的建议",
    "situation": "老旧小区加装电梯推进缓慢：业主意见难统一，审批环节多，维保费用分摊没有办法。",
    "suggestions": ["允许提取住房公积金用于加装电梯", "加装电梯实行一窗受理并联审批"],
}
PARKING = {
    "title": "关于缓解老旧小区停车难问题的建议",
    "situation": "老旧小区没有停车位，车辆占用消防通道；周边单位停车场夜间闲置。",
    "suggestions": ["推动机关单位停车场夜间错时开放", "利用边角地建设立体停车设施"],
}


@pytest.fixture(scope="module")
async def db(settings: Settings) -> Any:
    for person in (AUTHOR, OTHER_MEMBER, COSIGNER):
        await enrol(settings, person_id=person, org_id=ORG)
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def people(issuer: TestIssuer) -> dict[str, dict[str, str]]:
    h = issuer.headers
    return {
        "author": h(sub=AUTHOR, org=ORG, roles=["member"]),
        "other_member": h(sub=OTHER_MEMBER, org=ORG, roles=["member"]),
        "cosigner": h(sub=COSIGNER, org=ORG, roles=["member"]),
        "staff": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["proposals"]),
        "staff_no_scope": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["consultation"]),
        "foreign_staff": h(sub=uuid.uuid4(), org=OTHER_ORG, roles=["staff"], scopes=["proposals"]),
        "foreign_member": h(sub=uuid.uuid4(), org=OTHER_ORG, roles=["member"]),
        "leader": h(sub=uuid.uuid4(), org=ORG, roles=["leader"]),
        "unit_user": h(sub=uuid.uuid4(), org=ORG, roles=["unit_user"], unit=uuid.uuid4()),
    }


async def _submit(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    draft = await client.post("/api/v1/proposals", json=body, headers=headers)
    assert draft.status_code == 201, draft.text
    pid = str(draft.json()["id"])
    submitted = await client.post(f"/api/v1/proposals/{pid}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    return pid


async def _indexed(db: AsyncEngine, pid: str, version: int | None = None) -> None:
    """Waits for the consumer of `submitted` to have indexed the proposal (at `version`)."""
    for _ in range(200):
        async with db.connect() as conn:
            found = await conn.scalar(
                text("SELECT version FROM proposal_texts WHERE proposal_id = :p"), {"p": uuid.UUID(pid)}
            )
        if found is not None and (version is None or found >= version):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the proposal was never indexed")


async def _stored(
    db: AsyncEngine,
    body: dict[str, Any],
    *,
    org: uuid.UUID = ORG,
    who: uuid.UUID = AUTHOR,
    status: str = "submitted",
    series: str | None = None,
    cosigner: uuid.UUID | None = None,
) -> str:
    """A proposal written as the earlier steps leave it, indexed as the consumer would."""
    from cppcc_common.change import system_change
    from cppcc_common.db import create_sessionmaker
    from proposal_svc.similar import service

    pid = uuid.uuid4()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions, first_proposer_id,"
                " created_at, updated_at, submitted_at, version, filing_series)"
                " VALUES (:id, :org, :status, 'ordinary', :title, :situation, CAST(:suggestions AS jsonb), :who,"
                " :now, :now, :now, 2, :series)"
            ),
            {
                "id": pid,
                "org": org,
                "status": status,
                "title": body["title"],
                "situation": body["situation"],
                "suggestions": json.dumps(body["suggestions"], ensure_ascii=False),
                "who": who,
                "now": NOW,
                "series": series,
            },
        )
        rows = [(who, "first", 0)] + ([(cosigner, "cosigner", 1)] if cosigner else [])
        for person, role, position in rows:
            await conn.execute(
                text(
                    "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
                    " VALUES (:p, :who, :role, :position, 'confirmed')"
                ),
                {"p": pid, "who": person, "role": role, "position": position},
            )
    async with create_sessionmaker(db)() as session, session.begin():
        await service.index_submitted(system_change(session, now=NOW, source="/proposal-svc"), pid)
    return str(pid)


async def _publish(db: AsyncEngine, pid: str, title: str) -> None:
    """The published copy (rule 20), as the publication context leaves it."""
    reply = {
        "unit_name": "市住建局",
        "result_class": "A",
        "result_label": "已解决或采纳",
        "letter": "经研究，已出台加装电梯补贴办法。",
        "replied_at": "2026-02-01T08:00:00+00:00",
    }
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE proposals SET status = 'replied' WHERE id = :p"), {"p": uuid.UUID(pid)}
        )
        await conn.execute(
            text(
                "INSERT INTO publications (proposal_id, org_id, number, title, situation, suggestions, byline,"
                " replies, published_at) VALUES (:p, :o, NULL, :t, 's', '[]', NULL, CAST(:r AS jsonb), :now)"
            ),
            {
                "p": uuid.UUID(pid),
                "o": ORG,
                "t": title,
                "r": json.dumps([reply], ensure_ascii=False),
                "now": NOW,
            },
        )


async def _similar(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    typed = {"title": body["title"], "body": body["situation"] + "".join(body["suggestions"])}
    return await client.post("/api/v1/proposals/similar", json=typed, headers=headers)


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_a_submitted_proposal_is_indexed_by_the_consumer_and_suggested_to_its_author(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    """The real path: submitted through the API, indexed by the consumer of `submitted`, suggested
    while its author types a proposal on the same matter."""
    pid = await _submit(client, people["author"], ELEVATOR)
    await _indexed(db, pid)
    found = await _similar(client, people["author"], ELEVATOR_AGAIN)
    assert pid in _ids(found)
    item = next(i for i in found.json()["items"] if i["id"] == pid)
    assert item["status"] == "submitted" and item["published"] is False and 0 < item["score"] <= 1
    assert item["title"] == ELEVATOR["title"] and item["replies"] == []


async def test_rule_28_a_member_never_sees_another_members_unpublished_proposal_among_suggestions(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    """Another member's submitted proposal on the very matter typed is not suggested to a member —
    not its title, not its score; its author, a co-signer and the office see it; another
    organization's staff and members see nothing of it."""
    pid = await _stored(db, ELEVATOR, cosigner=COSIGNER)
    assert pid not in _ids(await _similar(client, people["other_member"], ELEVATOR))
    assert pid in _ids(await _similar(client, people["author"], ELEVATOR))
    assert pid in _ids(await _similar(client, people["cosigner"], ELEVATOR))
    assert pid in _ids(await _similar(client, people["staff"], ELEVATOR))
    assert _ids(await _similar(client, people["foreign_staff"], ELEVATOR)) == []
    assert _ids(await _similar(client, people["foreign_member"], ELEVATOR)) == []


async def test_rule_28_a_published_proposal_is_suggested_to_every_member_as_its_public_copy(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    """Published (rule 20), a proposal is public: every member of the organization gets it as the
    published copy — its title and replies as published, no status — never another organization."""
    pid = await _stored(db, ELEVATOR_AGAIN)
    await _publish(db, pid, "关于破解既有住宅加装电梯难题的建议（公开）")
    found = await _similar(client, people["other_member"], ELEVATOR)
    assert pid in _ids(found)
    item = next(i for i in found.json()["items"] if i["id"] == pid)
    assert item["published"] is True and item["status"] is None
    assert item["title"] == "关于破解既有住宅加装电梯难题的建议（公开）"
    assert item["replies"][0]["result_class"] == "A" and item["replies"][0]["unit_name"] == "市住建局"
    assert pid not in _ids(await _similar(client, people["foreign_member"], ELEVATOR))
    # The office reads the proposal itself: its live status and title.
    mine = next(
        i for i in (await _similar(client, people["staff"], ELEVATOR)).json()["items"] if i["id"] == pid
    )
    assert mine["status"] == "replied" and mine["title"] == ELEVATOR_AGAIN["title"]


async def test_a_draft_is_never_suggested_even_to_its_author(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    """A proposal returned to a draft keeps its old index row, but a draft's text is not final: it
    is suggested to nobody until submitted again."""
    pid = await _stored(db, PARKING, status="draft")
    assert pid not in _ids(await _similar(client, people["author"], PARKING))
    assert pid not in _ids(await _similar(client, people["staff"], PARKING))


async def test_only_stop_words_or_numbers_suggest_nothing(client: httpx.AsyncClient, people: Any) -> None:
    r = await client.post(
        "/api/v1/proposals/similar",
        json={"title": "关于进一步加强的建议", "body": "13800001111"},
        headers=people["staff"],
    )
    assert r.status_code == 200 and r.json()["items"] == []


async def test_suggestions_are_for_members_and_the_office_only(
    client: httpx.AsyncClient, people: Any
) -> None:
    for who in ("staff_no_scope", "leader", "unit_user"):
        r = await _similar(client, people[who], ELEVATOR)
        assert r.status_code == 403, who
    assert (await client.post("/api/v1/proposals/similar", json={"title": "电梯"})).status_code == 401


async def test_rule_8_merge_candidates_are_submitted_or_filed_proposals_of_the_same_series(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    """At review the office gets the proposals it could merge this one with: same organization,
    same series (the year for ordinary proposals), submitted or filed; not itself, not one merged,
    withdrawn or of another year, and a different matter of the same theme scores below the rest."""
    year = "year:2024"
    at_review = await _stored(db, ELEVATOR, series=year)
    filed = await _stored(db, ELEVATOR_AGAIN, status="filed", series=year, who=OTHER_MEMBER)
    submitted = await _stored(db, ELEVATOR_AGAIN, series=year, who=OTHER_MEMBER)
    merged = await _stored(db, ELEVATOR_AGAIN, status="merged", series=year)
    withdrawn = await _stored(db, ELEVATOR_AGAIN, status="withdrawn", series=year)
    other_year = await _stored(db, ELEVATOR_AGAIN, status="filed", series="year:2023")
    foreign = await _stored(db, ELEVATOR_AGAIN, org=OTHER_ORG, series=year)
    r = await client.get(f"/api/v1/proposals/{at_review}/similar", headers=people["staff"])
    ids = _ids(r)
    assert filed in ids and submitted in ids
    for absent in (at_review, merged, withdrawn, other_year, foreign):
        assert absent not in ids
    assert all(item["score"] >= 0.3 for item in r.json()["items"])
    assert (await client.get(f"/api/v1/proposals/{at_review}/similar?top=1", headers=people["staff"])).json()[
        "items"
    ][0]["id"] in (filed, submitted)


async def test_merge_candidates_of_a_proposal_not_yet_indexed_are_computed_from_its_text(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    """Asked before the consumer indexed it, the proposal is segmented on the spot."""
    filed = await _stored(db, ELEVATOR_AGAIN, status="filed", series="year:2025")
    fresh = await _stored(db, ELEVATOR, series="year:2025")
    async with db.begin() as conn:
        await conn.execute(text("DELETE FROM proposal_texts WHERE proposal_id = :p"), {"p": uuid.UUID(fresh)})
    assert filed in _ids(await client.get(f"/api/v1/proposals/{fresh}/similar", headers=people["staff"]))


async def test_merge_candidates_are_the_offices_and_another_organizations_proposal_is_404(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    pid = await _stored(db, PARKING)
    foreign = await _stored(db, PARKING, org=OTHER_ORG)
    for who in ("author", "other_member", "staff_no_scope", "leader", "unit_user"):
        assert (
            await client.get(f"/api/v1/proposals/{pid}/similar", headers=people[who])
        ).status_code == 403, who
    assert (
        await client.get(f"/api/v1/proposals/{foreign}/similar", headers=people["staff"])
    ).status_code == 404
    missing = await client.get(f"/api/v1/proposals/{uuid.uuid4()}/similar", headers=people["staff"])
    assert missing.status_code == 404 and missing.json()["code"] == "proposal.not_found"
    assert (
        await client.get(f"/api/v1/proposals/{pid}/similar?top=0", headers=people["staff"])
    ).status_code == 422
    assert (
        await client.get(f"/api/v1/proposals/{pid}/similar?top=11", headers=people["staff"])
    ).status_code == 422


async def test_hostile_text_is_refused_or_answered_never_a_server_error(
    client: httpx.AsyncClient, people: Any
) -> None:
    """Control characters, NUL, null, huge and wrong-typed values: 422 problems; quotes, tsquery
    operators and backslashes are only text (the terms are alphanumeric)."""
    for body in (
        {"title": "电梯\x00"},
        {"title": "电梯\x07", "body": "x"},
        {"title": None},
        {"title": "电" * 201},
        {"body": "梯" * 20001},
        {"title": 5},
        {"top": 0},
        {"top": 11},
        {"top": 10**30},
        [],
    ):
        r = await client.post("/api/v1/proposals/similar", json=body, headers=people["staff"])
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), body
    for title in ("电梯' | '小区", "a:* & !b", "\\'; DROP TABLE proposals; --", "( ) <-> :A", "％％％"):
        r = await client.post("/api/v1/proposals/similar", json={"title": title}, headers=people["staff"])
        assert r.status_code == 200, (title, r.text)
    raw = await client.post(
        "/api/v1/proposals/similar",
        content=b"{not json",
        headers={**people["staff"], "Content-Type": "application/json"},
    )
    assert raw.status_code == 422


LIBRARY = {
    "title": "关于推进城市书房建设的建议",
    "situation": "市图书馆座位紧张，农家书屋图书陈旧、开放时间不固定。",
    "suggestions": ["在商圈和社区建设城市书房，实行自助借阅"],
}


async def test_the_office_searches_titles_and_bodies_in_chinese_newest_first(
    client: httpx.AsyncClient, db: AsyncEngine, people: Any
) -> None:
    """Full-text search (the office's list): a term of the body or of the title, every term of the
    query, newest first, cursor-paginated, a status filter; never a draft, never another
    organization's."""
    first = await _stored(db, LIBRARY)
    second = await _stored(db, LIBRARY, status="filed")
    draft = await _stored(db, LIBRARY, status="draft")
    foreign = await _stored(db, LIBRARY, org=OTHER_ORG)
    staff = people["staff"]

    def ids(r: httpx.Response) -> list[str]:
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()["items"]]

    found = ids(await client.get("/api/v1/proposals/search", params={"q": "农家书屋"}, headers=staff))
    assert first in found and second in found and draft not in found and foreign not in found
    both = ids(await client.get("/api/v1/proposals/search", params={"q": "城市书房 自助借阅"}, headers=staff))
    assert {first, second} <= set(both)
    assert (
        ids(await client.get("/api/v1/proposals/search", params={"q": "城市书房 加装电梯"}, headers=staff))
        == []
    )
    assert ids(
        await client.get(
            "/api/v1/proposals/search", params={"q": "农家书屋", "status": "filed"}, headers=staff
        )
    ) == [second]
    page = await client.get("/api/v1/proposals/search", params={"q": "农家书屋", "limit": 1}, headers=staff)
    assert len(ids(page)) == 1 and page.json()["next_cursor"]
    rest = await client.get(
        "/api/v1/proposals/search",
        params={"q": "农家书屋", "limit": 1, "cursor": page.json()["next_cursor"]},
        headers=staff,
    )
    assert ids(rest) and ids(rest)[0] != ids(page)[0]
    # Title text that is no segmented term is found too (pg_trgm's index serves the ILIKE).
    assert first in ids(
        await client.get("/api/v1/proposals/search", params={"q": "推进城市书"}, headers=staff)
    )


async def test_search_is_the_offices_and_hostile_queries_are_4xx_or_empty(
    client: httpx.AsyncClient, people: Any
) -> None:
    for who in ("author", "other_member", "staff_no_scope", "leader", "unit_user"):
        r = await client.get("/api/v1/proposals/search", params={"q": "电梯"}, headers=people[who])
        assert r.status_code == 403, who
    for q in ("", "电梯\x00", "电梯\x1b", "梯" * 101):
        r = await client.get("/api/v1/proposals/search", params={"q": q}, headers=people["staff"])
        assert r.status_code == 422, repr(q)
    blank = await client.get("/api/v1/proposals/search", params={"q": "   "}, headers=people["staff"])
    assert blank.status_code in (200, 422) and (blank.status_code == 422 or blank.json()["items"] == [])
    for q in ("%", "_", "\\", "' | '", "a & !b:*", "％"):
        r = await client.get("/api/v1/proposals/search", params={"q": q}, headers=people["staff"])
        assert r.status_code == 200, (q, r.text)
    bad_cursor = await client.get(
        "/api/v1/proposals/search", params={"q": "电梯", "cursor": "not-a-cursor"}, headers=people["staff"]
    )
    assert bad_cursor.status_code == 422


async def test_indexing_is_idempotent_and_an_older_version_never_replaces_a_newer(db: AsyncEngine) -> None:
    """The consumer's handler again for the same event (a redelivery) writes the same row; a late
    event of an older submission leaves the newer text."""
    from cppcc_common.change import system_change
    from cppcc_common.db import create_sessionmaker
    from proposal_svc.similar import service

    pid = uuid.UUID(await _stored(db, PARKING))

    async def index_again() -> None:
        async with create_sessionmaker(db)() as session, session.begin():
            await service.index_submitted(system_change(session, now=NOW, source="/proposal-svc"), pid)

    async def row() -> Any:
        async with db.connect() as conn:
            query = text(
                "SELECT version, title_terms, count(*) OVER () AS n FROM proposal_texts WHERE proposal_id = :p"
            )
            return (await conn.execute(query, {"p": pid})).one()

    before = await row()
    await index_again()
    assert await row() == before and before.n == 1
    async with db.begin() as conn:  # a newer submission's text, indexed already
        await conn.execute(
            text("UPDATE proposal_texts SET version = 9, title_terms = 'newer' WHERE proposal_id = :p"),
            {"p": pid},
        )
    await index_again()  # the proposal row is at version 2
    assert (await row()).title_terms == "newer"

"""Who is told what when a proposal is submitted, and each person's inbox (DOMAIN.md §6)."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest

from cppcc_common.contracts.member import PersonRegisteredV1
from cppcc_common.contracts.proposal import ProposalSubmittedV1
from cppcc_common.events import CloudEvent, make_event
from cppcc_common.testing.tokens import TestIssuer
from cppcc_common.testing.waiting import eventually as _eventually
from notify_svc.settings import Settings

ORG = uuid.uuid4()
MEMBER, STAFF, OTHER_STAFF, FOREIGN_STAFF = (uuid.uuid4() for _ in range(4))


async def _publish(settings: Settings, *events: CloudEvent) -> None:
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    for e in events:
        await js.publish(e.type, e.to_json(), headers={"Nats-Msg-Id": str(e.id)})
    await nc.close()


def _person(
    person_id: uuid.UUID, org: uuid.UUID, name: str, roles: list[str], scopes: list[str]
) -> CloudEvent:
    return make_event(
        PersonRegisteredV1(person_id=person_id, org_id=org, name=name, roles=roles, scopes=scopes),
        source="/member-svc",
        subject=person_id,
        orgid=org,
    )


def _submitted(proposal_id: uuid.UUID) -> CloudEvent:
    return make_event(
        ProposalSubmittedV1(
            proposal_id=proposal_id,
            org_id=ORG,
            title="关于加装电梯的建议",
            kind="ordinary",
            first_proposer_id=MEMBER,
            submitted_at=datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
            version=2,
        ),
        source="/proposal-svc",
        subject=proposal_id,
        orgid=ORG,
        actorid=MEMBER,
    )


@pytest.fixture(scope="module")
async def known_people(settings: Settings, client: httpx.AsyncClient) -> None:
    await _publish(
        settings,
        _person(MEMBER, ORG, "张明", ["member"], []),
        _person(STAFF, ORG, "李静", ["staff"], ["proposals"]),
        _person(OTHER_STAFF, ORG, "周会", ["staff"], ["consultation"]),
        _person(FOREIGN_STAFF, uuid.uuid4(), "外市", ["staff"], ["proposals"]),
    )


def _h(issuer: TestIssuer, who: uuid.UUID, roles: list[str]) -> dict[str, str]:
    return issuer.headers(sub=who, org=ORG, roles=roles)


async def _inbox(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/inbox", headers=headers)
    assert r.status_code == 200
    return list(r.json()["items"])


async def test_submission_tells_the_proposer_and_the_proposals_office_only(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer, known_people: None
) -> None:
    proposal_id = uuid.uuid4()
    staff_h = _h(issuer, STAFF, ["staff"])
    # The staff projection must exist before the submission is handled.
    await _eventually(lambda: _has_recipient(client, settings))
    await _publish(settings, _submitted(proposal_id))
    items = await _eventually(lambda: _inbox(client, staff_h))
    assert [i["category"] for i in items] == ["proposal.review_needed"]
    assert items[0]["title"] == "新提案待审查：关于加装电梯的建议"
    assert "张明" in items[0]["body"] and items[0]["object_id"] == str(proposal_id)
    receipt = await _inbox(client, _h(issuer, MEMBER, ["member"]))
    assert [i["category"] for i in receipt] == ["proposal.submitted"]
    assert "2026-03-01 10:30" in receipt[0]["body"]  # shown in Asia/Shanghai time
    assert await _inbox(client, _h(issuer, OTHER_STAFF, ["staff"])) == []
    assert await _inbox(client, issuer.headers(sub=FOREIGN_STAFF, roles=["staff"])) == []


async def _has_recipient(client: httpx.AsyncClient, settings: Settings) -> bool:
    from sqlalchemy import text

    from cppcc_common.db import create_engine

    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM recipients"))).scalar_one()
    await engine.dispose()
    return bool(count == 4)


async def test_a_redelivered_event_does_not_duplicate_inbox_items(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer, known_people: None
) -> None:
    staff_h = _h(issuer, STAFF, ["staff"])
    before = len(await _inbox(client, staff_h))
    event = _submitted(uuid.uuid4())
    await _publish(settings, event)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": f"{event.id}-again"})
    await nc.close()
    await _eventually(lambda: _count_is(client, staff_h, before + 1))
    await asyncio.sleep(0.5)
    assert len(await _inbox(client, staff_h)) == before + 1


async def _count_is(client: httpx.AsyncClient, headers: dict[str, str], n: int) -> bool:
    return len(await _inbox(client, headers)) == n


async def test_unread_count_and_marking_read_are_per_person(
    client: httpx.AsyncClient, issuer: TestIssuer, known_people: None
) -> None:
    staff_h = _h(issuer, STAFF, ["staff"])
    member_h = _h(issuer, MEMBER, ["member"])
    items = await _inbox(client, staff_h)
    unread = (await client.get("/api/v1/inbox/unread-count", headers=staff_h)).json()["unread"]
    assert unread == len(items) > 0
    # Someone else cannot mark my item read: it does not exist for them.
    assert (await client.post(f"/api/v1/inbox/{items[0]['id']}/read", headers=member_h)).status_code == 404
    marked = await client.post(f"/api/v1/inbox/{items[0]['id']}/read", headers=staff_h)
    assert marked.status_code == 200 and marked.json()["read_at"]
    assert (await client.get("/api/v1/inbox/unread-count", headers=staff_h)).json()["unread"] == unread - 1
    assert len(
        (await client.get("/api/v1/inbox", params={"unread": "true"}, headers=staff_h)).json()["items"]
    ) == (unread - 1)
    assert (await client.post("/api/v1/inbox/read-all", headers=staff_h)).json()["marked"] == unread - 1
    assert (await client.get("/api/v1/inbox/unread-count", headers=staff_h)).json()["unread"] == 0


async def test_partner_clients_have_no_inbox(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    r = await client.get("/api/v1/inbox", headers=issuer.headers(roles=["partner"]))
    assert r.status_code == 403


async def test_exit_review_alerts_reach_the_staff_with_the_members_scope(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer, known_people: None
) -> None:
    from cppcc_common.contracts.member import MemberExitReviewRequiredV1

    members_staff = uuid.uuid4()
    await _publish(settings, _person(members_staff, ORG, "委员工作室", ["staff"], ["members"]))
    alert = MemberExitReviewRequiredV1(
        person_id=MEMBER,
        org_id=ORG,
        term_id=uuid.uuid4(),
        name="张明",
        threshold="unexcused_plenary_absences",
        unexcused_absences=2,
    )
    await _publish(settings, make_event(alert, source="/member-svc", subject=MEMBER, orgid=ORG))
    items = await _eventually(lambda: _inbox(client, _h(issuer, members_staff, ["staff"])))
    assert items[0]["category"] == "member.exit_review_required"
    assert "无故缺席全体会议" in items[0]["body"] and "张明" in items[0]["title"]
    proposals_office = await _inbox(client, _h(issuer, STAFF, ["staff"]))
    assert all(i["category"] != "member.exit_review_required" for i in proposals_office)


async def _staff_is_known(settings: Settings) -> bool:
    from sqlalchemy import text

    from cppcc_common.db import create_engine

    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        query = text("SELECT count(*) FROM recipients WHERE person_id = :p")
        count = (await conn.execute(query, {"p": STAFF})).scalar_one()
    await engine.dispose()
    return bool(count == 1)


async def _has_at_least(probe: Any, n: int) -> bool:
    return len(await probe()) >= n


async def _walk(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"limit": "1", **params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/inbox", params=query, headers=headers)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_paging_through_my_inbox_yields_every_item_once_newest_first(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer, known_people: None
) -> None:
    staff_h = _h(issuer, STAFF, ["staff"])
    await _eventually(lambda: _staff_is_known(settings))

    async def everything() -> list[dict[str, Any]]:
        r = await client.get("/api/v1/inbox", params={"limit": "100"}, headers=staff_h)
        return list(r.json()["items"])

    before = len(await everything())
    await _publish(settings, *(_submitted(uuid.uuid4()) for _ in range(3)))
    await _eventually(lambda: _has_at_least(everything, before + 3))
    everything = await everything()
    assert await _walk(client, staff_h) == everything
    keys = [(i["created_at"], i["id"]) for i in everything]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    first = everything[0]["id"]
    assert (await client.post(f"/api/v1/inbox/{first}/read", headers=staff_h)).status_code == 200
    assert [i["id"] for i in await _walk(client, staff_h, unread="true")] == [
        i["id"] for i in everything if i["id"] != first and i["read_at"] is None
    ]


async def test_deleting_an_item_removes_it_for_its_owner_only(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer, known_people: None
) -> None:
    staff_h = _h(issuer, STAFF, ["staff"])
    await _eventually(lambda: _staff_is_known(settings))
    await _publish(settings, _submitted(uuid.uuid4()))
    items = await _eventually(lambda: _inbox(client, staff_h))
    mine = items[0]["id"]
    # Someone else's item does not exist for me: 404, and it stays.
    assert (
        await client.delete(f"/api/v1/inbox/{mine}", headers=_h(issuer, MEMBER, ["member"]))
    ).status_code == 404
    assert (await client.delete(f"/api/v1/inbox/{mine}", headers=staff_h)).status_code == 204
    assert mine not in [i["id"] for i in await _inbox(client, staff_h)]
    assert (await client.delete(f"/api/v1/inbox/{mine}", headers=staff_h)).status_code == 404
    assert (await client.post(f"/api/v1/inbox/{mine}/read", headers=staff_h)).status_code == 404
    partner = await client.delete(f"/api/v1/inbox/{mine}", headers=issuer.headers(roles=["partner"]))
    assert partner.status_code == 403

"""Joint proposals (rule 4), withdrawal and deleting a draft through the API, on a real database
and NATS, with a moved clock: co-signers named on the draft, invited on submission, answering
before the deadline, expired by the scanner exactly once; who reads what (rule 28)."""

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.change import trace_id_of
from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine, create_sessionmaker
from cppcc_common.events import CloudEvent
from cppcc_common.scanner import DeadlineScanner
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.proposals import repository
from proposal_svc.proposals.scanners import CosignDeadlines
from proposal_svc.settings import Settings

from .conftest import MIGRATIONS, enrol

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
FIRST, CO1, CO2, CO3 = (uuid.uuid4() for _ in range(4))
STRANGER, FORMER, FOREIGN = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOT_ENROLLED = uuid.uuid4()
# A month end, 23:00 in Shanghai: the deadline (7 days later) falls in the next month.
T0 = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
COSIGN_DAYS = 7  # the default policy; the domain tests use another value to prove it is read
GOOD = {
    "title": "关于加快老旧小区加装电梯的建议",
    "situation": "老旧小区多层住宅普遍没有电梯。",
    "suggestions": ["简化审批流程"],
}


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    """The service's own scanners scan once at start-up; these tests drive theirs by the clock."""
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "proposal"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
        scanner_interval_seconds=3600,
    )


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="module")
async def client(
    settings: Settings, issuer: TestIssuer, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=clock)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
async def people(settings: Settings, issuer: TestIssuer) -> dict[str, dict[str, str]]:
    for person in (FIRST, CO1, CO2, CO3, STRANGER):
        await enrol(settings, person_id=person, org_id=ORG)
    await enrol(settings, person_id=FORMER, org_id=ORG, starts_on="2013-01-01", ends_on="2017-12-31")
    await enrol(settings, person_id=FOREIGN, org_id=OTHER_ORG)
    # Tokens valid across the moved clock (the verifier reads the service's clock).
    iat = int((T0 - timedelta(days=1)).timestamp())
    times = {"iat": iat, "exp": iat + 400 * 86400}

    def member(sub: uuid.UUID, org: uuid.UUID = ORG) -> dict[str, str]:
        return issuer.headers(sub=sub, org=org, roles=["member"], **times)

    return {
        "first": member(FIRST),
        "co1": member(CO1),
        "co2": member(CO2),
        "co3": member(CO3),
        "stranger": member(STRANGER),
        "foreign": member(FOREIGN, OTHER_ORG),
        "staff": issuer.headers(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["proposals"], **times),
    }


async def _draft(client: httpx.AsyncClient, people: Any, cosigners: list[uuid.UUID]) -> Any:
    body = {**GOOD, "cosigner_ids": [str(c) for c in cosigners]}
    r = await client.post("/api/v1/proposals", json=body, headers=people["first"])
    assert r.status_code == 201, r.text
    return r.json()


async def _joint(client: httpx.AsyncClient, people: Any, cosigners: list[uuid.UUID]) -> Any:
    """A joint proposal submitted now (the clock's now): its invitations are out."""
    draft = await _draft(client, people, cosigners)
    r = await client.post(f"/api/v1/proposals/{draft['id']}/submit", headers=people["first"])
    assert r.status_code == 200, r.text
    return r.json()


async def _answer(
    client: httpx.AsyncClient, proposal: Any, headers: dict[str, str], answer: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/proposals/{proposal['id']}/cosign", json={"answer": answer}, headers=headers
    )


async def _events(db: async_sessionmaker[AsyncSession], type_: str, subject: str) -> list[CloudEvent]:
    """The events of `type_` about `subject` staged in the outbox, in order."""
    async with db() as session:
        rows = await session.execute(
            text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at, id"), {"t": type_}
        )
        events = [CloudEvent.model_validate(json.loads(r.payload)) for r in rows]
    return [e for e in events if e.subject == subject]


def _proposers(proposal: Any) -> list[tuple[str, str, int, str]]:
    return [(p["person_id"], p["role"], p["position"], p["status"]) for p in proposal["proposers"]]


async def test_rule_4_cosigners_named_on_a_draft_are_current_members_of_the_organization(
    client: httpx.AsyncClient, people: Any, clock: FakeClock
) -> None:
    """Unknown, former, another organization's, the first proposer, twice: each a 422 naming its
    place in the list; a valid list is kept in the given order after the first proposer."""
    clock.set(T0)
    bad = [NOT_ENROLLED, FORMER, FOREIGN, FIRST, CO1, CO1]
    r = await client.post(
        "/api/v1/proposals", json={**GOOD, "cosigner_ids": [str(c) for c in bad]}, headers=people["first"]
    )
    assert r.status_code == 422 and r.json()["code"] == "proposal.cosigners_invalid", r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("cosigner_ids.0", "cosigner_not_a_current_member"),
        ("cosigner_ids.1", "cosigner_not_a_current_member"),
        ("cosigner_ids.2", "cosigner_not_a_current_member"),
        ("cosigner_ids.3", "first_proposer_cannot_cosign"),
        ("cosigner_ids.5", "duplicate_cosigner"),
    ]
    assert r.json()["errors"][0]["message"] == "该联名人不是本组织在任委员"
    draft = await _draft(client, people, [CO2, CO1])
    assert _proposers(draft) == [
        (str(FIRST), "first", 0, "confirmed"),
        (str(CO2), "cosigner", 1, "invited"),
        (str(CO1), "cosigner", 2, "invited"),
    ]
    assert all(p["respond_by"] is None for p in draft["proposers"])  # asked only on submission
    assert not any("phone" in key for p in draft["proposers"] for key in p)
    edited = await client.patch(
        f"/api/v1/proposals/{draft['id']}",
        json={"cosigner_ids": [str(CO3), str(CO1)]},
        headers={**people["first"], "If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert [p[0] for p in _proposers(edited.json())] == [str(FIRST), str(CO3), str(CO1)]
    foreign = await client.patch(
        f"/api/v1/proposals/{draft['id']}",
        json={"cosigner_ids": [str(FOREIGN)]},
        headers={**people["first"], "If-Match": '"2"'},
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "cosigner_ids.0"
    # Rule 28: a co-signer does not see a draft.
    assert (await client.get(f"/api/v1/proposals/{draft['id']}", headers=people["co1"])).status_code == 404


async def test_rule_4_submission_asks_the_cosigners_and_the_submitted_event_names_only_confirmed_ones(
    client: httpx.AsyncClient, people: Any, clock: FakeClock, db: async_sessionmaker[AsyncSession]
) -> None:
    clock.set(T0)
    proposal = await _joint(client, people, [CO1, CO2])
    respond_by = T0 + timedelta(days=COSIGN_DAYS)
    assert {datetime.fromisoformat(p["respond_by"]) for p in proposal["proposers"][1:]} == {respond_by}
    (submitted,) = await _events(db, "cppcc.proposal.submitted.v1", proposal["id"])
    assert submitted.data["cosigner_ids"] == []  # nobody confirmed yet: not proposers (rule 4)
    (requested,) = await _events(db, "cppcc.proposal.cosign_requested.v1", proposal["id"])
    assert requested.data["invited_ids"] == [str(CO1), str(CO2)]
    assert datetime.fromisoformat(requested.data["respond_by"]) == respond_by
    assert requested.data["first_proposer_id"] == str(FIRST) and requested.orgid == ORG
    assert requested.traceparent is not None and trace_id_of(requested.traceparent) == trace_id_of(
        submitted.traceparent
    )


async def test_rule_4_answers_at_the_deadline_boundary_and_only_confirmed_cosigners_count(
    client: httpx.AsyncClient, people: Any, clock: FakeClock, db: async_sessionmaker[AsyncSession]
) -> None:
    """respond_by − 1 µs: confirmed (200); exactly respond_by: refused with 409
    proposal.cosign_deadline_passed (the deadline is exclusive). `confirmed_cosigners` lists
    only the confirmed, in signing order."""
    clock.set(T0 + timedelta(hours=1))
    proposal = await _joint(client, people, [CO3, CO1, CO2])
    respond_by = T0 + timedelta(hours=1, days=COSIGN_DAYS)
    assert (await _answer(client, proposal, people["co2"], "confirm")).status_code == 200
    assert (await _answer(client, proposal, people["co1"], "decline")).status_code == 200
    clock.set(respond_by - timedelta(microseconds=1))
    late_but_in_time = await _answer(client, proposal, people["co3"], "confirm")
    assert late_but_in_time.status_code == 200, late_but_in_time.text
    assert _proposers(late_but_in_time.json())[1:] == [
        (str(CO3), "cosigner", 1, "confirmed"),
        (str(CO1), "cosigner", 2, "declined"),
        (str(CO2), "cosigner", 3, "confirmed"),
    ]
    async with db() as session:
        assert await repository.confirmed_cosigners(session, uuid.UUID(proposal["id"])) == [CO3, CO2]
    (confirmed,) = [
        e
        for e in await _events(db, "cppcc.proposal.cosign_confirmed.v1", proposal["id"])
        if e.data["cosigner_id"] == str(CO3)
    ]
    assert confirmed.data["position"] == 1 and confirmed.actorid == CO3
    assert datetime.fromisoformat(confirmed.data["confirmed_at"]) == respond_by - timedelta(microseconds=1)

    clock.set(T0 + timedelta(hours=2))
    other = await _joint(client, people, [CO1])
    clock.set(T0 + timedelta(hours=2, days=COSIGN_DAYS))  # exactly its respond_by
    at_deadline = await _answer(client, other, people["co1"], "confirm")
    assert at_deadline.status_code == 409 and at_deadline.json()["code"] == "proposal.cosign_deadline_passed"
    async with db() as session:
        assert await repository.confirmed_cosigners(session, uuid.UUID(other["id"])) == []


async def test_rule_4_unanswered_invitations_expire_at_the_deadline_once_with_two_scanners(
    client: httpx.AsyncClient,
    people: Any,
    clock: FakeClock,
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Two scanner instances (two replicas) on the same database: nothing 1 µs before the deadline;
    at it, each unanswered invitation expires exactly once (one event each), answered ones never."""
    start = T0 + timedelta(days=30)
    clock.set(start)
    proposals = [await _joint(client, people, [CO1, CO2, CO3]) for _ in range(3)]
    assert (await _answer(client, proposals[0], people["co2"], "confirm")).status_code == 200
    assert (await _answer(client, proposals[1], people["co3"], "decline")).status_code == 200
    unanswered = {(p["id"], str(c)) for p in proposals for c in (CO1, CO2, CO3)} - {
        (proposals[0]["id"], str(CO2)),
        (proposals[1]["id"], str(CO3)),
    }
    engine = create_engine(settings.database_url, pool_size=4)
    scanners = [CosignDeadlines(create_sessionmaker(engine), clock, source=settings.source) for _ in range(2)]

    async def drain(scanner: DeadlineScanner) -> int:
        total = 0
        while fired := await scanner.scan_once():
            total += fired
        return total

    async def expired() -> list[tuple[str, str]]:
        found = []
        for p in proposals:
            found += [
                (p["id"], e.data["cosigner_id"])
                for e in await _events(db, "cppcc.proposal.cosign_expired.v1", p["id"])
            ]
        return found

    try:
        clock.set(start + timedelta(days=COSIGN_DAYS) - timedelta(microseconds=1))
        await asyncio.gather(*(drain(s) for s in scanners))
        assert await expired() == []
        clock.set(start + timedelta(days=COSIGN_DAYS))
        fired = await asyncio.gather(*(drain(s) for s in scanners))
        assert sum(fired) >= len(unanswered)  # (earlier tests' invitations are due too)
        assert sorted(await expired()) == sorted(unanswered)  # each once, none answered
        clock.advance(timedelta(days=1))
        assert sum(await asyncio.gather(*(drain(s) for s in scanners))) == 0
    finally:
        await engine.dispose()
    after = (await client.get(f"/api/v1/proposals/{proposals[0]['id']}", headers=people["first"])).json()
    assert [p[3] for p in _proposers(after)] == ["confirmed", "expired", "confirmed", "expired"]
    assert (
        after["version"] == proposals[0]["version"] + 1
    )  # the confirmation; an expiry is not a change of proposers
    # An expired co-signer no longer reads the proposal, nor answers (rule 28: 404).
    assert (
        await client.get(f"/api/v1/proposals/{proposals[0]['id']}", headers=people["co1"])
    ).status_code == 404
    assert (await _answer(client, proposals[0], people["co1"], "confirm")).status_code == 404


async def test_rule_28_invited_and_confirmed_cosigners_read_a_submitted_proposal_declined_ones_do_not(
    client: httpx.AsyncClient, people: Any, clock: FakeClock
) -> None:
    clock.set(T0 + timedelta(days=60))
    draft = await _draft(client, people, [CO1, CO2])
    url = f"/api/v1/proposals/{draft['id']}"
    for who in ("co1", "co2"):
        assert (await client.get(url, headers=people[who])).status_code == 404  # not while a draft
    await client.post(f"{url}/submit", headers=people["first"])
    for who in ("co1", "co2"):
        assert (await client.get(url, headers=people[who])).status_code == 200
        listed = (await client.get("/api/v1/proposals", headers=people[who])).json()["items"]
        assert draft["id"] in {p["id"] for p in listed}
    assert (await _answer(client, draft, people["co1"], "confirm")).status_code == 200
    assert (await _answer(client, draft, people["co2"], "decline")).status_code == 200
    assert (await client.get(url, headers=people["co1"])).status_code == 200
    assert (await client.get(url, headers=people["co2"])).status_code == 404
    listed = (await client.get("/api/v1/proposals", headers=people["co2"])).json()["items"]
    assert draft["id"] not in {p["id"] for p in listed}
    for who in ("stranger", "foreign"):
        assert (await client.get(url, headers=people[who])).status_code == 404


async def test_cosign_answers_worst_inputs(client: httpx.AsyncClient, people: Any, clock: FakeClock) -> None:
    """Another organization's member, a member who is not a co-signer: 404; the first proposer:
    403; an answer that is not confirm/decline, missing or with extra fields: 422; a second answer:
    409 from the invitation's table; an answer on a proposal no longer under review: 409 (404 to
    the co-signer whose invitation closed with the review)."""
    clock.set(T0 + timedelta(days=61))
    proposal = await _joint(client, people, [CO1, CO2])
    for who in ("foreign", "stranger"):
        r = await _answer(client, proposal, people[who], "confirm")
        assert r.status_code == 404 and r.json()["code"] == "proposal.not_found", who
    assert (await _answer(client, proposal, people["first"], "confirm")).status_code == 403
    staff = await _answer(client, proposal, people["staff"], "confirm")
    assert staff.status_code == 403 and staff.json()["code"] == "auth.forbidden"
    for answer in ("maybe", "", None, 1, "CONFIRM"):
        r = await _answer(client, proposal, people["co1"], answer)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer", answer
    url = f"/api/v1/proposals/{proposal['id']}/cosign"
    assert (await client.post(url, json={}, headers=people["co1"])).status_code == 422
    extra = await client.post(url, json={"answer": "confirm", "status": "confirmed"}, headers=people["co1"])
    assert extra.status_code == 422
    assert (
        await client.post(
            f"/api/v1/proposals/{uuid.uuid4()}/cosign", json={"answer": "confirm"}, headers=people["co1"]
        )
    ).status_code == 404
    assert (await _answer(client, proposal, people["co1"], "confirm")).status_code == 200
    again = await _answer(client, proposal, people["co1"], "decline")
    assert again.status_code == 409 and again.json()["code"] == "proposal.cosign_invalid_transition"
    withdrawn = await client.post(
        f"/api/v1/proposals/{proposal['id']}/withdraw",
        json={"reason": "已由部门解决"},
        headers=people["first"],
    )
    assert withdrawn.status_code == 200, withdrawn.text
    # A confirmed co-signer still reads it: 409 from the lifecycle; the invitation still open at the
    # withdrawal closed then (rule 4), so its co-signer reads it no more: 404.
    closed = await _answer(client, proposal, people["co1"], "decline")
    assert closed.status_code == 409 and closed.json()["code"] == "proposal.invalid_transition"
    gone = await _answer(client, proposal, people["co2"], "confirm")
    assert gone.status_code == 404 and gone.json()["code"] == "proposal.not_found"


WHY = {"reason": "问题已另行解决"}


async def test_the_first_proposer_withdraws_before_assignment_with_a_reason(
    client: httpx.AsyncClient, people: Any, clock: FakeClock, db: async_sessionmaker[AsyncSession]
) -> None:
    """submitted → withdrawn and filed → withdrawn; not a draft, not once assigned; only the first
    proposer (co-signer 403, another member or organization 404); the reason goes in the history
    and the event."""
    clock.set(T0 + timedelta(days=62))
    proposal = await _joint(client, people, [CO1])
    url = f"/api/v1/proposals/{proposal['id']}/withdraw"
    assert (await client.post(url, json=WHY, headers=people["co1"])).status_code == 403
    for who in ("stranger", "foreign"):
        assert (await client.post(url, json=WHY, headers=people[who])).status_code == 404
    too_long = await client.post(url, json={"reason": "理" * 501}, headers=people["first"])
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "reason"
    assert (await client.post(url, json={"reason": "a\x00b"}, headers=people["first"])).status_code == 422
    stale = await client.post(url, json=WHY, headers={**people["first"], "If-Match": '"1"'})
    assert stale.status_code == 412
    r = await client.post(url, json={"reason": "问题已由部门解决"}, headers=people["first"])
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert (await client.post(url, json=WHY, headers=people["first"])).status_code == 409
    (event,) = await _events(db, "cppcc.proposal.withdrawn.v1", proposal["id"])
    assert event.data["reason"] == "问题已由部门解决" and event.data["from_status"] == "submitted"
    assert event.data["cosigner_ids"] == []  # invited, never confirmed
    async with db() as session:
        history = (
            await session.execute(
                text(
                    "SELECT action, from_status, to_status, reason FROM proposal_history WHERE proposal_id = :p AND action = 'withdraw'"
                ),
                {"p": proposal["id"]},
            )
        ).one()
    assert tuple(history) == ("withdraw", "submitted", "withdrawn", "问题已由部门解决")

    draft = await _draft(client, people, [])
    refused = await client.post(
        f"/api/v1/proposals/{draft['id']}/withdraw", json={"reason": "不需要了"}, headers=people["first"]
    )
    assert refused.status_code == 409 and refused.json()["code"] == "proposal.invalid_transition"
    for status, expected in (("filed", 200), ("assigned", 409)):
        other = await _joint(client, people, [])
        async with db() as session, session.begin():  # the review's steps are another part's routes
            await session.execute(
                text("UPDATE proposals SET status = :s WHERE id = :p"), {"s": status, "p": other["id"]}
            )
        r = await client.post(f"/api/v1/proposals/{other['id']}/withdraw", json=WHY, headers=people["first"])
        assert r.status_code == expected, (status, r.text)


async def test_a_withdrawal_without_a_reason_or_with_a_blank_one_is_422(
    client: httpx.AsyncClient, people: Any, clock: FakeClock
) -> None:
    """The reason is required like every other reason: absent, empty or only blanks (ASCII or the
    ideographic space) is 422 and the proposal stays submitted."""
    clock.set(T0 + timedelta(days=62))
    proposal = await _joint(client, people, [CO1])
    url = f"/api/v1/proposals/{proposal['id']}/withdraw"
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "\u3000\t"}, {"reason": None}):
        r = await client.post(url, json=body, headers=people["first"])
        assert r.status_code == 422, (body, r.text)
    got = await client.get(f"/api/v1/proposals/{proposal['id']}", headers=people["first"])
    assert got.json()["status"] == "submitted"


async def test_deleting_a_draft_leaves_a_tombstone_nobody_reads(
    client: httpx.AsyncClient, people: Any, clock: FakeClock, db: async_sessionmaker[AsyncSession]
) -> None:
    """204; then 404 for everyone, its proposer too, and for a second DELETE; the history stays and
    the text goes. Only a draft (409), only by its proposer (others 404: a draft is theirs alone)."""
    clock.set(T0 + timedelta(days=63))
    draft = await _draft(client, people, [CO1])
    url = f"/api/v1/proposals/{draft['id']}"
    for who in ("co1", "stranger", "foreign"):
        assert (await client.delete(url, headers=people[who])).status_code == 404, who
    assert (await client.delete(url, headers={**people["first"], "If-Match": '"7"'})).status_code == 412
    deleted = await client.delete(url, headers=people["first"])
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await client.get(url, headers=people["first"])).status_code == 404
    assert (await client.delete(url, headers=people["first"])).status_code == 404
    mine = (await client.get("/api/v1/proposals", params={"mine": True}, headers=people["first"])).json()
    assert draft["id"] not in {p["id"] for p in mine["items"]}
    async with db() as session:
        row = (
            await session.execute(
                text("SELECT status, title, situation, suggestions FROM proposals WHERE id = :p"),
                {"p": draft["id"]},
            )
        ).one()
        actions = (
            (
                await session.execute(
                    text("SELECT action FROM proposal_history WHERE proposal_id = :p ORDER BY at"),
                    {"p": draft["id"]},
                )
            )
            .scalars()
            .all()
        )
    assert tuple(row) == ("deleted", "", "", [])
    assert actions == ["create", "delete"]
    submitted = await _joint(client, people, [])
    refused = await client.delete(f"/api/v1/proposals/{submitted['id']}", headers=people["first"])
    assert refused.status_code == 409 and refused.json()["code"] == "proposal.invalid_transition"


async def test_cosign_and_withdrawal_events_carry_the_requests_trace(
    client: httpx.AsyncClient, people: Any, clock: FakeClock, db: async_sessionmaker[AsyncSession]
) -> None:
    clock.set(T0 + timedelta(days=64))
    proposal = await _joint(client, people, [CO1, CO2])
    traces = {}
    for who, path, body, type_ in (
        ("co1", "cosign", {"answer": "confirm"}, "cppcc.proposal.cosign_confirmed.v1"),
        ("co2", "cosign", {"answer": "decline"}, "cppcc.proposal.cosign_declined.v1"),
        ("first", "withdraw", {"reason": "撤回"}, "cppcc.proposal.withdrawn.v1"),
    ):
        trace_id = secrets.token_hex(16)
        traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
        r = await client.post(
            f"/api/v1/proposals/{proposal['id']}/{path}",
            json=body,
            headers={**people[who], "traceparent": traceparent},
        )
        assert r.status_code == 200, r.text
        (event,) = await _events(db, type_, proposal["id"])
        assert trace_id_of(event.traceparent) == trace_id and event.traceparent != traceparent
        assert event.data["version"] == r.json()["version"]
        traces[type_] = trace_id
    assert len(set(traces.values())) == 3


async def test_rule_4_invitations_close_when_the_proposal_leaves_review_and_the_scanner_never_fires_for_them(
    client: httpx.AsyncClient,
    people: Any,
    clock: FakeClock,
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Filed, not filed or withdrawn exactly 1 µs before the deadline: at that instant the open
    invitation is closed (the co-signer no longer reads or answers: 404), and at the deadline the
    scanner fires nothing for it. Returned for revision and submitted again a day after the old
    deadline: asked again, and a confirmation then (after the old deadline, before the new) counts."""
    start = T0 + timedelta(days=60)
    clock.set(start)
    filed, not_filed, withdrawn, returned, due = [await _joint(client, people, [CO1, CO2]) for _ in range(5)]
    assert (await _answer(client, filed, people["co2"], "confirm")).status_code == 200
    respond_by = start + timedelta(days=COSIGN_DAYS)
    clock.set(respond_by - timedelta(microseconds=1))
    staff = people["staff"]
    for url, body, who in (
        (f"/api/v1/proposals/{filed['id']}/file", None, staff),
        (
            f"/api/v1/proposals/{not_filed['id']}/not-file",
            {"reason": "属于学术探讨", "disposition": "none"},
            staff,
        ),
        (f"/api/v1/proposals/{withdrawn['id']}/withdraw", WHY, people["first"]),
        (f"/api/v1/proposals/{returned['id']}/return", {"note": "请补充数据"}, staff),
    ):
        r = await client.post(url, json=body, headers=who)
        assert r.status_code == 200, r.text
    for proposal in (filed, not_filed, withdrawn):
        assert (await _answer(client, proposal, people["co1"], "confirm")).status_code == 404
        after = (await client.get(f"/api/v1/proposals/{proposal['id']}", headers=people["first"])).json()
        assert after["proposers"][1]["status"] == "expired"
    engine = create_engine(settings.database_url, pool_size=2)
    scanner = CosignDeadlines(create_sessionmaker(engine), clock, source=settings.source)
    try:
        clock.set(respond_by)
        # Filed exactly at the deadline, before the scanner ran: its invitations are due, the
        # scanner's to expire (with their events), not closed by the filing.
        assert (await client.post(f"/api/v1/proposals/{due['id']}/file", headers=staff)).status_code == 200
        while await scanner.scan_once():
            pass
    finally:
        await engine.dispose()
    for proposal in (filed, not_filed, withdrawn, returned):
        assert await _events(db, "cppcc.proposal.cosign_expired.v1", proposal["id"]) == []
    expired = await _events(db, "cppcc.proposal.cosign_expired.v1", due["id"])
    assert sorted(e.data["cosigner_id"] for e in expired) == sorted([str(CO1), str(CO2)])

    clock.set(respond_by + timedelta(days=1))
    again = await client.post(f"/api/v1/proposals/{returned['id']}/submit", headers=people["first"])
    assert again.status_code == 200, again.text
    asked = {p["person_id"]: p for p in again.json()["proposers"]}
    new_deadline = respond_by + timedelta(days=1 + COSIGN_DAYS)
    assert datetime.fromisoformat(asked[str(CO1)]["respond_by"]) == new_deadline
    requests = await _events(db, "cppcc.proposal.cosign_requested.v1", returned["id"])
    assert [r.data["invited_ids"] for r in requests] == [[str(CO1), str(CO2)]] * 2
    clock.set(new_deadline - timedelta(microseconds=1))
    assert (await _answer(client, again.json(), people["co1"], "confirm")).status_code == 200

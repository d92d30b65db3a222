"""Organization proposals through the API (DOMAIN.md §2, rules 2 and 3): a party group's, a people's
organization's, a special committee's proposal needs its seal attached to be submitted; a sector's or
a group's is made only on the days the plenary sits, as member-svc's event announces them, counted in
Asia/Shanghai. The clock is a FakeClock moved to each boundary instant."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text

from cppcc_common.clock import FakeClock
from cppcc_common.contracts.member import PlenarySessionScheduledV1
from cppcc_common.db import create_engine
from cppcc_common.events import make_event
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.events import wait_for_event
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

from .conftest import enrol
from .test_attachment_rules import GENUINE
from .test_attachments import GOOD, PDF, attach

ORG = uuid.uuid4()
MEMBER = uuid.uuid4()
OPENS, CLOSES = date(2027, 2, 26), date(2027, 3, 2)  # across a month end
CLOCK = FakeClock(datetime(2027, 2, 27, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
async def clocked(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=CLOCK)) as c:
        yield c


def member_at(issuer: TestIssuer, now: datetime) -> dict[str, str]:
    """The member's token as issued at `now` (the service judges its expiry by the same clock)."""
    at = int(now.timestamp())
    return issuer.headers(sub=MEMBER, org=ORG, roles=["member"], iat=at, exp=at + 900)


@pytest.fixture(scope="module")
async def plenary(settings: Settings, clocked: httpx.AsyncClient) -> None:
    """member-svc's announcement of the plenary, kept by the consumer with its days (the app's
    start-up made the streams)."""
    await enrol(settings, person_id=MEMBER, org_id=ORG)
    scheduled = PlenarySessionScheduledV1(
        session_id=uuid.uuid4(),
        org_id=ORG,
        term_id=uuid.uuid4(),
        number=2,
        opens_on=OPENS,
        closes_on=CLOSES,
        proposal_window_opens_at=datetime(2026, 11, 26, tzinfo=UTC),
        proposal_deadline_at=datetime(2027, 2, 28, 10, tzinfo=UTC),
    )
    event = make_event(scheduled, source="/member-svc", subject=scheduled.session_id, orgid=ORG)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        for _ in range(200):
            async with engine.connect() as conn:
                days = (
                    await conn.execute(
                        text("SELECT opens_on, closes_on FROM session_windows WHERE org_id = :o"), {"o": ORG}
                    )
                ).first()
            if days is not None:
                assert tuple(days) == (OPENS, CLOSES)
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the plenary never reached the projection")
    finally:
        await engine.dispose()


def _shanghai(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC) - timedelta(hours=8)


BOUNDARIES = [
    ("the day before opening, 23:59:59", _shanghai(OPENS - timedelta(days=1), 23, 59, 59), False),
    ("opening day, 00:00", _shanghai(OPENS, 0), True),
    ("closing day, 23:59:59", _shanghai(CLOSES, 23, 59, 59), True),
    ("the day after closing, 00:00", _shanghai(CLOSES + timedelta(days=1), 0), False),
]


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **author: Any) -> httpx.Response:
    return await client.post("/api/v1/proposals", json={**GOOD, **author}, headers=headers)


@pytest.mark.usefixtures("plenary")
@pytest.mark.parametrize(("label", "now", "sitting"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
async def test_rule_3_sector_proposals_only_while_the_plenary_is_in_session(
    clocked: httpx.AsyncClient, issuer: TestIssuer, label: str, now: datetime, sitting: bool
) -> None:
    CLOCK.set(now)
    headers = member_at(issuer, now)
    for kind, name in (("sector", "经济界"), ("group", "第三小组")):
        r = await _create(clocked, headers, author_kind=kind, author_name=name)
        if sitting:
            assert r.status_code == 201, (label, r.text)
            assert (r.json()["author_kind"], r.json()["author_name"]) == (kind, name)
        else:
            assert r.status_code == 422 and r.json()["code"] == "proposal.plenary_not_in_session", (
                label,
                r.text,
            )
    # Everyone else proposes on any day.
    for author in ({}, {"author_kind": "party_group", "author_name": "民盟某市委"}):
        assert (await _create(clocked, headers, **author)).status_code == 201, label


@pytest.mark.usefixtures("plenary")
async def test_rule_3_a_sector_proposal_drafted_on_the_closing_day_is_not_submitted_the_day_after(
    clocked: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    closing = _shanghai(CLOSES, 23, 59, 59)
    CLOCK.set(closing)
    headers = member_at(issuer, closing)
    made = await _create(clocked, headers, author_kind="sector", author_name="经济界")
    assert made.status_code == 201, made.text
    sealed = await attach(clocked, made.json()["id"], headers, GENUINE[PDF], purpose="seal")
    assert sealed.status_code == 201, sealed.text
    after = closing + timedelta(seconds=1)
    CLOCK.set(after)
    late = await clocked.post(
        f"/api/v1/proposals/{made.json()['id']}/submit", headers=member_at(issuer, after)
    )
    assert late.status_code == 422 and late.json()["code"] == "proposal.plenary_not_in_session"


@pytest.mark.parametrize("kind", ["party_group", "peoples_organization", "special_committee"])
async def test_rule_2_an_organization_proposal_needs_a_seal_attachment(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer, kind: str
) -> None:
    await enrol(settings, person_id=MEMBER, org_id=ORG)
    headers = issuer.headers(sub=MEMBER, org=ORG, roles=["member"])
    made = await _create(client, headers, author_kind=kind, author_name="民盟某市委")
    assert made.status_code == 201, made.text
    url = f"/api/v1/proposals/{made.json()['id']}"
    unsealed = await client.post(f"{url}/submit", headers=headers)
    assert unsealed.status_code == 422 and unsealed.json()["code"] == "proposal.seal_required"
    assert (await attach(client, made.json()["id"], headers, purpose="material")).status_code == 201
    still = await client.post(f"{url}/submit", headers=headers)
    assert still.status_code == 422 and still.json()["code"] == "proposal.seal_required"
    assert (await attach(client, made.json()["id"], headers, purpose="seal")).status_code == 201
    submitted = await client.post(f"{url}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted", submitted.text
    nc = await nats.connect(settings.nats_url)
    try:
        event = await wait_for_event(
            nc.jetstream(), "cppcc.proposal.submitted.v1", lambda e: e.subject == made.json()["id"]
        )
    finally:
        await nc.close()
    assert (event.data["author_kind"], event.data["author_name"]) == (kind, "民盟某市委")
    assert event.data["first_proposer_id"] == str(MEMBER)


async def test_a_members_own_proposal_has_no_seal_and_names_no_organization(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    headers = issuer.headers(sub=MEMBER, org=ORG, roles=["member"])
    made = await _create(client, headers)
    assert made.json()["author_kind"] == "member" and made.json()["author_name"] is None
    seal = await attach(client, made.json()["id"], headers, purpose="seal")
    assert seal.status_code == 422 and seal.json()["code"] == "attachment.seal_only_for_organizations"
    named = await _create(client, headers, author_name="民盟")
    assert named.status_code == 422 and named.json()["errors"][0]["code"] == "author_name_not_allowed"
    unnamed = await _create(client, headers, author_kind="party_group")
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["code"] == "author_name_required"
    fixed = await client.patch(
        f"/api/v1/proposals/{made.json()['id']}",
        json={"author_kind": "party_group"},
        headers={**headers, "If-Match": "*"},
    )
    assert fixed.status_code == 422  # the author is chosen when the draft is made


async def test_staff_do_not_author_organization_proposals(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """The decision of AuthorKind's docstring: a member acting for the organization drafts it."""
    staff = issuer.headers(org=ORG, roles=["staff"], scopes=["proposals"])
    r = await _create(client, staff, author_kind="party_group", author_name="民盟某市委")
    assert r.status_code == 403

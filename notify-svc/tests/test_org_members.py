"""What is told to an organization's members (the published consultation plan) reaches its current
members only: notify-svc keeps member-svc's member records (registered, updated, status changed;
out-of-order versions ignored) and reads them for an org-wide event, through the real consumer."""

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import nats
from sqlalchemy import text

from cppcc_common.contracts.consultation import PlanPublishedV1
from cppcc_common.contracts.member import MemberRegisteredV1, MemberStatusChangedV1
from cppcc_common.db import create_engine
from cppcc_common.events import CloudEvent, EventData, make_event
from cppcc_common.testing.tokens import TestIssuer
from notify_svc.settings import Settings

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
ACTIVE, ON_LEAVE, RESIGNED, FORMER, FOREIGN = (uuid.uuid4() for _ in range(5))
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _event(data: EventData, subject: uuid.UUID, org: uuid.UUID) -> CloudEvent:
    return make_event(data, source="/test", subject=subject, orgid=org, time=AT)


def _member(
    kind: type[MemberRegisteredV1] | type[MemberStatusChangedV1],
    person: uuid.UUID,
    *,
    member_id: uuid.UUID,
    org: uuid.UUID = ORG,
    status: str = "active",
    version: int = 1,
    ends_on: date = date(2027, 12, 31),
    **extra: Any,
) -> CloudEvent:
    data = kind(
        member_id=member_id, person_id=person, org_id=org, term_id=uuid.uuid4(), name="委员", sector_id=None,
        party="无党派人士", is_standing=False, status=status, version=version,
        term_starts_on=date(2023, 1, 1), term_ends_on=ends_on, **extra,
    )  # fmt: skip
    return _event(data, person, org)


async def _publish(settings: Settings, *events: CloudEvent) -> None:
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    for e in events:
        await js.publish(e.type, e.to_json(), headers={"Nats-Msg-Id": str(e.id)})
    await nc.close()


async def _inbox(client: httpx.AsyncClient, issuer: TestIssuer, who: uuid.UUID, org: uuid.UUID) -> list[str]:
    r = await client.get("/api/v1/inbox", headers=issuer.headers(sub=who, org=org, roles=["member"]))
    assert r.status_code == 200, r.text
    return [i["category"] for i in r.json()["items"]]


async def test_a_published_plan_is_told_to_the_organizations_current_members_only(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    resigned_record = uuid.uuid4()
    await _publish(
        settings,
        _member(MemberRegisteredV1, ACTIVE, member_id=uuid.uuid4()),
        _member(MemberRegisteredV1, ON_LEAVE, member_id=uuid.uuid4(), status="on_leave"),
        # The resignation (version 2) arrives before the registration (version 1): it stays resigned.
        _member(
            MemberStatusChangedV1, RESIGNED, member_id=resigned_record, status="resigned", version=2,
            from_status="active",
        ),
        _member(MemberRegisteredV1, RESIGNED, member_id=resigned_record),
        _member(MemberRegisteredV1, FORMER, member_id=uuid.uuid4(), ends_on=date(2025, 12, 31)),
        _member(MemberRegisteredV1, FOREIGN, member_id=uuid.uuid4(), org=OTHER_ORG),
    )  # fmt: skip
    plan = uuid.uuid4()
    data = PlanPublishedV1(
        plan_id=plan, org_id=ORG, year=2026, version=1, title="2026年度政协协商计划", entries_count=8,
        added_entry_keys=[], changed_entry_keys=[], removed_entry_keys=[], published_at=AT,
    )  # fmt: skip
    # The member events are handled in their order on the member stream; the plan comes on another
    # stream, so wait until the projection holds them all.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        engine = create_engine(settings.database_url, pool_size=1)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT count(*) FROM member_records"))).scalar_one()
            resigned = (
                await conn.execute(
                    text("SELECT status FROM member_records WHERE member_id = :m"), {"m": resigned_record}
                )
            ).scalar_one_or_none()
        await engine.dispose()
        if rows == 5:
            break
        assert asyncio.get_running_loop().time() < deadline, "member records not kept in time"
        await asyncio.sleep(0.05)
    assert resigned == "resigned"
    await _publish(settings, _event(data, plan, ORG))
    deadline = asyncio.get_running_loop().time() + 10
    while not await _inbox(client, issuer, ACTIVE, ORG):
        assert asyncio.get_running_loop().time() < deadline, "the plan's notice not delivered in time"
        await asyncio.sleep(0.05)
    assert await _inbox(client, issuer, ACTIVE, ORG) == ["plan.published"]
    assert await _inbox(client, issuer, ON_LEAVE, ORG) == ["plan.published"]
    for person, org in ((RESIGNED, ORG), (FORMER, ORG), (FOREIGN, OTHER_ORG)):
        assert await _inbox(client, issuer, person, org) == [], person

"""What the statistics learn from member-svc's events: organizations with their parents, sectors' and
committees' names, and each member's sector, party and committees (the breakdowns' keys)."""

import asyncio
import uuid
from typing import Any

import httpx
import nats
from sqlalchemy import text

from cppcc_common.contracts.member import (
    CommitteeRegisteredV1,
    MemberUpdatedV1,
    OrganizationRegisteredV1,
    SectorRegisteredV1,
)
from cppcc_common.db import create_engine
from cppcc_common.events import EventData, make_event
from proposal_svc.settings import Settings


async def _publish(settings: Settings, data: EventData, org: uuid.UUID) -> uuid.UUID:
    event = make_event(data, source="/member-svc", subject=org, orgid=org)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    return event.id


async def _handled(settings: Settings, event_ids: list[uuid.UUID], consumers: int) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        for _ in range(200):
            async with engine.connect() as conn:
                query = text("SELECT count(*) FROM inbox WHERE event_id = ANY(:e)")
                if (await conn.execute(query, {"e": event_ids})).scalar_one() >= consumers:
                    return
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    raise AssertionError("the events never arrived")


async def _rows(settings: Settings, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def test_organizations_sectors_committees_and_members_are_kept(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    city, county, sector, committee = (uuid.uuid4() for _ in range(4))
    person, member = uuid.uuid4(), uuid.uuid4()
    ids = [
        await _publish(
            settings, OrganizationRegisteredV1(org_id=city, name="壬市政协", level="municipal"), city
        ),
        await _publish(
            settings,
            OrganizationRegisteredV1(org_id=county, name="壬县政协", level="county", parent_id=city),
            county,
        ),
        await _publish(settings, SectorRegisteredV1(sector_id=sector, org_id=city, name="农业界"), city),
        await _publish(
            settings, CommitteeRegisteredV1(committee_id=committee, org_id=city, name="农业委"), city
        ),
        await _publish(
            settings,
            MemberUpdatedV1(
                member_id=member,
                person_id=person,
                org_id=city,
                term_id=uuid.uuid4(),
                name="赵强",
                sector_id=sector,
                party="九三学社",
                is_standing=False,
                committee_ids=[committee],
                status="active",
                version=2,
            ),
            city,
        ),
    ]
    # The org consumer sees the four org events too (and ignores them); statistics the first four.
    await _handled(settings, ids, consumers=len(ids) + 4)
    orgs = await _rows(
        settings, "SELECT org_id, parent_id, name FROM organizations WHERE org_id = ANY(:o)", o=[city, county]
    )
    assert {(r.org_id, r.parent_id, r.name) for r in orgs} == {
        (city, None, "壬市政协"),
        (county, city, "壬县政协"),
    }
    assert await _rows(settings, "SELECT name FROM sectors WHERE sector_id = :s", s=sector) == [("农业界",)]
    assert await _rows(settings, "SELECT name FROM committees WHERE committee_id = :c", c=committee) == [
        ("农业委",)
    ]
    [kept] = await _rows(
        settings, "SELECT name, sector_id, party, committee_ids FROM members WHERE member_id = :m", m=member
    )
    assert tuple(kept) == ("赵强", sector, "九三学社", [committee])

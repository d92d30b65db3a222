"""The members projection follows member-svc's events through NATS (at least once, out of order):
who may be invited, by sector, committee and standing, and in which status."""

import asyncio
import uuid
from datetime import date
from typing import Any

import httpx
import nats
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from consultation_svc.settings import Settings
from cppcc_common.contracts.member import MemberRegisteredV1, MemberStatusChangedV1, MemberUpdatedV1
from cppcc_common.events import EventData, make_event
from cppcc_common.testing.tokens import TestIssuer

from .conftest import auth

ORG, PERSON, MEMBER, TERM, SECTOR = (uuid.uuid4() for _ in range(5))


def snapshot(version: int, **over: Any) -> dict[str, Any]:
    return {
        "member_id": MEMBER,
        "person_id": PERSON,
        "org_id": ORG,
        "term_id": TERM,
        "name": "张委员",
        "sector_id": None,
        "party": "民盟",
        "is_standing": False,
        "committee_ids": [],
        "status": "active",
        "version": version,
        "term_starts_on": date(2023, 1, 1),
        "term_ends_on": date(2027, 12, 31),
        **over,
    }


async def publish(settings: Settings, db: AsyncEngine, data: EventData) -> None:
    """member-svc's event through NATS; waits for consultation-svc's consumer to have handled it."""
    event = make_event(data, source="/member-svc", subject=PERSON, orgid=ORG)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    for _ in range(200):
        async with db.connect() as conn:
            if (
                await conn.execute(text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": event.id})
            ).scalar_one():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the event never arrived")


async def test_the_projection_keeps_the_newest_snapshot_and_invitations_follow_it(
    client: httpx.AsyncClient, issuer: TestIssuer, settings: Settings, db: AsyncEngine
) -> None:
    await publish(settings, db, MemberRegisteredV1.model_validate(snapshot(1)))
    await publish(
        settings, db, MemberUpdatedV1.model_validate(snapshot(3, sector_id=SECTOR, is_standing=True))
    )
    await publish(settings, db, MemberUpdatedV1.model_validate(snapshot(2, sector_id=None)))  # late: ignored
    async with db.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT sector_id, is_standing, version FROM members WHERE member_id = :m"),
                {"m": MEMBER},
            )
        ).one()
    assert (row.sector_id, row.is_standing, row.version) == (SECTOR, True, 3)

    office = auth(issuer, org=ORG, roles=["staff"], scopes=["consultation"])
    body = {
        "form": "sector",
        "title": "界别协商",
        "starts_at": "2025-11-03T09:00:00+08:00",
        "ends_at": "2025-11-03T11:00:00+08:00",
    }
    activity = (await client.post("/api/v1/consultations/activities", json=body, headers=office)).json()
    url = f"/api/v1/consultations/activities/{activity['id']}/invitees"
    r = await client.post(url, json={"sector_ids": [str(SECTOR)]}, headers=office)
    assert r.json()["added"] == 1
    resigned = MemberStatusChangedV1.model_validate(
        snapshot(4, sector_id=SECTOR, status="resigned", from_status="active")
    )
    await publish(settings, db, resigned)
    other = (await client.post("/api/v1/consultations/activities", json=body, headers=office)).json()
    r = await client.post(
        f"/api/v1/consultations/activities/{other['id']}/invitees", json={"standing": True}, headers=office
    )
    assert r.json()["added"] == 0  # resigned: no longer invited

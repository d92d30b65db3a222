"""What the outcome tests share: activities and units as the other contexts leave them (rows in
consultation-svc's own database), a staff-made outcome, and the events staged in the outbox."""

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import consultation_svc

MIGRATIONS = Path(consultation_svc.__file__).parent / "migrations"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


async def insert_activity(
    db: AsyncEngine,
    org: uuid.UUID,
    starts_at: datetime,
    *,
    status: str = "closed",
    organizer: uuid.UUID | None = None,
    title: str = "双月协商座谈会：优化营商环境",
) -> str:
    """An activity as the activities context leaves it (scheduled and held, by default)."""
    aid = uuid.uuid4()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO activities (id, org_id, form, kind, status, title, starts_at, ends_at,"
                " organizer_person_id, organizer_name, rescheduled_count, created_at, updated_at, version)"
                " VALUES (:id, :org, 'bimonthly_forum', 'meeting', :status, :title, :starts, :starts,"
                " :organizer, '市政协办公室', 0, :starts, :starts, 1)"
            ),
            {
                "id": aid,
                "org": org,
                "status": status,
                "title": title,
                "starts": starts_at,
                "organizer": organizer,
            },
        )
    return str(aid)


async def insert_unit(db: AsyncEngine, unit: uuid.UUID, org: uuid.UUID, name: str) -> None:
    """A handling unit as member-svc's `cppcc.unit.registered.v1` leaves it in the projection."""
    async with db.begin() as conn:
        await conn.execute(
            text("INSERT INTO units (unit_id, org_id, name, kind) VALUES (:u, :o, :n, 'bureau')"),
            {"u": unit, "o": org, "n": name},
        )


def recipients(unit: uuid.UUID | None) -> list[dict[str, Any]]:
    """The usual recipients: the Party committee, the government, and the responsible department."""
    return [
        {"kind": "party_committee", "name": "中共某市委"},
        {"kind": "government", "name": "某市人民政府"},
        {
            "kind": "department",
            "name": "市发展改革委",
            "unit_id": str(unit) if unit else None,
            "responsible": True,
        },
    ]


async def draft(
    client: httpx.AsyncClient, headers: dict[str, str], activity_id: str, unit: uuid.UUID | None, **body: Any
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/consultations/outcomes",
        json={
            "activity_id": activity_id,
            "kind": "recommendation",
            "title": "关于进一步优化营商环境的建议案",
            "text": "一、简化审批。二、减轻企业负担。",
            "recipients": recipients(unit),
            **body,
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def sent(
    client: httpx.AsyncClient, headers: dict[str, str], activity_id: str, unit: uuid.UUID | None
) -> dict[str, Any]:
    outcome = await draft(client, headers, activity_id, unit)
    r = await client.post(f"/api/v1/consultations/outcomes/{outcome['id']}/submit", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def events(db: AsyncEngine, event_type: str, outcome_id: str) -> list[dict[str, Any]]:
    """The events of `event_type` staged for an outcome (its CloudEvents subject), oldest first."""
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at, id"),
                {"t": event_type},
            )
        ).scalars()
    return [e["data"] for e in map(json.loads, rows) if e["subject"] == outcome_id]

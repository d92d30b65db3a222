"""Fixtures of consultation-svc's API tests: one migrated database and NATS per module, the app
served in-process on a FakeClock (its scanners scan at start-up only; tests drive theirs), the
members projection filled as member-svc's events would, and the events an activity staged."""

import base64
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import consultation_svc
from consultation_svc.main import create_app
from consultation_svc.settings import Settings
from cppcc_common.clock import FakeClock
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer

MIGRATIONS = Path(consultation_svc.__file__).parent / "migrations"
# 10:00 in Shanghai on Monday 22 September 2025, a week before the National Day holidays
# (1–8 October, make-up workdays Sunday 28 September and Saturday 11 October).
BASE = datetime(2025, 9, 22, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "consultation"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
        scanner_interval_seconds=3600,
        # Every route is configured (the hostile walks reach the check-in routes too).
        checkin_key=SecretStr(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")),
    )


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(BASE)


@pytest.fixture(scope="module")
async def client(
    settings: Settings, issuer: TestIssuer, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source(), clock=clock)) as c:
        yield c


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


async def enrol(
    db: AsyncEngine,
    *,
    person_id: uuid.UUID,
    org_id: uuid.UUID,
    name: str = "委员",
    sector_id: uuid.UUID | None = None,
    committee_ids: list[uuid.UUID] | None = None,
    standing: bool = False,
    party: str = "无党派",
    status: str = "active",
    starts_on: date = date(2023, 1, 1),
    ends_on: date = date(2027, 12, 31),
) -> None:
    """Makes a person a member in consultation-svc's projection, as member-svc's events would."""
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO members (member_id, person_id, org_id, term_id, name, sector_id, party, is_standing,"
                " committee_ids, status, term_starts_on, term_ends_on, version)"
                " VALUES (:m, :p, :o, :t, :n, :s, :party, :st, :c, :status, :a, :b, 1)"
            ),
            {
                "m": uuid.uuid4(),
                "p": person_id,
                "o": org_id,
                "t": uuid.uuid4(),
                "n": name,
                "s": sector_id,
                "party": party,
                "st": standing,
                "c": committee_ids or [],
                "status": status,
                "a": starts_on,
                "b": ends_on,
            },
        )


async def staged(db: AsyncEngine, event_type: str, activity_id: uuid.UUID | str) -> list[dict[str, Any]]:
    """The data of the events of `event_type` the activity staged in the outbox, oldest first."""
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE subject = :t ORDER BY created_at, id"), {"t": event_type}
        )
        found = [json.loads(r.payload) for r in rows]
    return [e["data"] for e in found if e["subject"] == str(activity_id)]


def auth(issuer: TestIssuer, **claims: Any) -> dict[str, str]:
    """A token valid from just before BASE for two years of the tests' moved clock."""
    at = int(BASE.timestamp())
    return issuer.headers(iat=at - 60, exp=at + 800 * 86400, **claims)

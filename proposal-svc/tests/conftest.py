import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import proposal_svc
from cppcc_common.contracts.member import PersonRegisteredV1
from cppcc_common.events import make_event
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.main import create_app
from proposal_svc.settings import Settings

MIGRATIONS = Path(proposal_svc.__file__).parent / "migrations"


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "proposal"),
        nats_url=module_nats_url,
        relay_interval_seconds=0.05,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings, key_source=issuer.key_source())) as c:
        yield c


async def enrol(
    settings: Settings,
    *,
    person_id: Any,
    org_id: Any,
    status: str = "active",
    starts_on: str = "2023-01-01",
    ends_on: str = "2099-12-31",
) -> None:
    """Makes a person a member of a term in proposal-svc's projection, as member-svc's events would."""
    import uuid
    from datetime import date

    from sqlalchemy import text

    from cppcc_common.db import create_engine

    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO members (member_id, person_id, org_id, term_id, term_starts_on, term_ends_on, status, version)"
                " VALUES (:m, :p, :o, :t, :s, :e, :status, 1)"
            ),
            {
                "m": uuid.uuid4(),
                "p": person_id,
                "o": org_id,
                "t": uuid.uuid4(),
                "s": date.fromisoformat(starts_on),
                "e": date.fromisoformat(ends_on),
                "status": status,
            },
        )
    await engine.dispose()


async def announce(
    settings: Settings, db: AsyncEngine, person_id: uuid.UUID, roles: list[str], org: uuid.UUID
) -> None:
    """member-svc's announcement of a new account (e.g. a leader, whom rule 19 asks of a supervisor),
    through NATS; waits for proposal-svc's consumer to have handled it."""
    data = PersonRegisteredV1(person_id=person_id, org_id=org, name="某某", roles=roles)
    event = make_event(data, source="/member-svc", subject=person_id, orgid=org)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    for _ in range(200):
        async with db.connect() as conn:
            query = text("SELECT count(*) FROM inbox WHERE event_id = :e")
            if (await conn.execute(query, {"e": event.id})).scalar_one():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the announcement never arrived")

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

import member_svc
from cppcc_common.change import Change, system_change
from cppcc_common.clock import SystemClock
from cppcc_common.testing.app import serve_app
from member_svc.main import create_app
from member_svc.settings import Settings

MIGRATIONS = Path(member_svc.__file__).parent / "migrations"


def seeding(session: AsyncSession) -> Change:
    """The system's change that sets up a test's organizations and people (no request, no actor)."""
    source = "/" + str(Settings.model_fields["service_name"].default)
    return system_change(session, now=SystemClock().now(), source=source)


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "member"),
        nats_url=module_nats_url,
        key_encryption_key=kek,
        relay_interval_seconds=0.05,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(settings)) as c:
        yield c


Person = tuple[Any, str, list[str], list[str]]  # organization id, phone, roles, scopes


async def sign_in_people(
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    orgs: list[tuple[Any, str, str, Any]],
    people: dict[str, Person],
    password: str,
) -> dict[str, dict[str, str]]:
    """Creates organizations (id, name, level, parent) and people, logs each in; bearer headers by name."""
    import uuid

    from cppcc_common.db import create_engine, create_sessionmaker, session_scope
    from member_svc.people.service import ensure_organization, register_person

    engine = create_engine(settings.database_url, pool_size=1)
    async with session_scope(create_sessionmaker(engine)) as session:
        for org_id, name, level, parent in orgs:
            await ensure_organization(seeding(session), id=org_id, name=name, level=level, parent_id=parent)
        for who, (org_id, phone, roles, scopes) in people.items():
            await register_person(
                seeding(session),
                id=uuid.uuid4(),
                org_id=org_id,
                name=who,
                phone=phone,
                password=password,
                roles=roles,
                scopes=scopes,
            )
    await engine.dispose()
    headers = {}
    for who, (_, phone, _, _) in people.items():
        r = await client.post("/api/v1/auth/login", json={"phone": phone, "password": password})
        headers[who] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return headers

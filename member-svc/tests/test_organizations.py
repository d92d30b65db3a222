"""An organization is announced once, with its parent (DOMAIN.md §1: a city guides its counties), so
proposal-svc can show a parent's office its children's statistics side by side."""

import json
import uuid

from sqlalchemy import text

from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from member_svc.people.service import ensure_organization
from member_svc.settings import Settings

from .conftest import seeding


async def test_a_new_organization_is_announced_once_with_its_parent(settings: Settings) -> None:
    city, county = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        sessions = create_sessionmaker(engine)
        async with session_scope(sessions) as session:
            await ensure_organization(seeding(session), id=city, name="辛市政协", level="municipal")
            await ensure_organization(
                seeding(session), id=county, name="辛县政协", level="county", parent_id=city
            )
        async with session_scope(sessions) as session:  # already there: nothing announced again
            await ensure_organization(
                seeding(session), id=county, name="辛县政协", level="county", parent_id=city
            )
        async with engine.connect() as conn:
            payloads = (
                await conn.execute(
                    text(
                        "SELECT payload FROM outbox WHERE subject = 'cppcc.org.registered.v1' ORDER BY created_at"
                    )
                )
            ).scalars()
            announced = [json.loads(p)["data"] for p in payloads]
    finally:
        await engine.dispose()
    mine = [a for a in announced if a["org_id"] in (str(city), str(county))]
    assert mine == [
        {"org_id": str(city), "name": "辛市政协", "level": "municipal", "parent_id": None},
        {"org_id": str(county), "name": "辛县政协", "level": "county", "parent_id": str(city)},
    ]

"""The migrations make exactly the tables the models declare (what `alembic revision --autogenerate`
would compare), so a model change without its migration, or the reverse, fails here."""

import asyncio
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

import proposal_svc
from cppcc_common.db import create_engine
from cppcc_common.migrations import upgrade
from proposal_svc.models import metadata

MIGRATIONS = Path(proposal_svc.__file__).parent / "migrations"


async def test_migrations_match_the_models(databases: Any) -> None:
    """An autogenerate against the migrated database finds nothing to add, drop or alter."""
    engine = create_engine(databases.migrated(MIGRATIONS, "proposal"), pool_size=1)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert found == []


async def test_rule_12_migration_0011_arms_the_deadlines_of_assignments_made_before_it(
    databases: Any,
) -> None:
    """An open lead assignment made before revision 0011 gets its overdue (00:00 Shanghai after the due
    day) and the default warnings still ahead; a replied one and a co-handler get none."""
    url = databases.empty("deadlines")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0009")
    engine = create_engine(url, pool_size=1)
    pid, open_, replied, cohandler = (uuid.uuid4() for _ in range(4))
    far = date(2099, 2, 28)  # every warning still ahead of the migration's now()
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO proposals (id, org_id, status, title, situation, suggestions, first_proposer_id,"
                    " created_at, updated_at, version) VALUES (:p, :o, 'handling', 't', 's', '[\"x\"]', :o,"
                    " now(), now(), 1)"
                ),
                {"p": pid, "o": uuid.uuid4()},
            )
            for aid, role, status, due in (
                (open_, "lead", "accepted", far),
                (replied, "split", "replied", far),
                (cohandler, "cohandler", "assigned", None),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO assignments (id, proposal_id, org_id, unit_id, role, status, assigned_at,"
                        " reply_due_on, updated_at, version) VALUES (:a, :p, :p, :a, :r, :s, now(), :d, now(), 1)"
                    ),
                    {"a": aid, "p": pid, "r": role, "s": status, "d": due},
                )
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0011")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT assignment_id, due_on, kind, fire_at FROM deadline_notices"))
            ).all()
    finally:
        await engine.dispose()
    shanghai = ZoneInfo("Asia/Shanghai")
    assert sorted((r.assignment_id, r.due_on, r.kind, r.fire_at) for r in rows) == sorted(
        [
            (open_, far, "due_soon_15", datetime(2099, 2, 13, tzinfo=shanghai)),
            (open_, far, "due_soon_3", datetime(2099, 2, 25, tzinfo=shanghai)),
            (open_, far, "overdue", datetime(2099, 3, 1, tzinfo=shanghai)),
        ]
    )


async def test_rule_11_migration_0013_arms_the_views_overdue_of_co_handlers_still_owing_their_views(
    databases: Any,
) -> None:
    """A co-handler assigned before revision 0013 and still owing its views gets its views overdue
    (00:00 Shanghai after the views due day); one that sent its views gets none."""
    url = databases.empty("views")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0011")
    engine = create_engine(url, pool_size=1)
    pid, owing, sent = (uuid.uuid4() for _ in range(3))
    due = date(2099, 1, 31)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO proposals (id, org_id, status, title, situation, suggestions, first_proposer_id,"
                    " created_at, updated_at, version) VALUES (:p, :o, 'handling', 't', 's', '[\"x\"]', :o,"
                    " now(), now(), 1)"
                ),
                {"p": pid, "o": uuid.uuid4()},
            )
            for aid, status in ((owing, "assigned"), (sent, "views_sent")):
                await conn.execute(
                    text(
                        "INSERT INTO assignments (id, proposal_id, org_id, unit_id, role, status, assigned_at,"
                        " views_due_on, updated_at, version)"
                        " VALUES (:a, :p, :p, :a, 'cohandler', :s, now(), :d, now(), 1)"
                    ),
                    {"a": aid, "p": pid, "s": status, "d": due},
                )
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0013")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT assignment_id, due_on, kind, fire_at FROM deadline_notices"))
            ).all()
    finally:
        await engine.dispose()
    shanghai = ZoneInfo("Asia/Shanghai")
    assert [(r.assignment_id, r.due_on, r.kind, r.fire_at) for r in rows] == [
        (owing, due, "views_overdue", datetime(2099, 2, 1, tzinfo=shanghai))
    ]

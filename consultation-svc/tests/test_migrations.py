"""The migrations make exactly the tables the models declare (what `alembic revision --autogenerate`
would compare), so a model change without its migration, or the reverse, fails here."""

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

import consultation_svc
from consultation_svc.models import metadata
from cppcc_common.db import create_engine

MIGRATIONS = Path(consultation_svc.__file__).parent / "migrations"


async def test_migrations_match_the_models(databases: Any) -> None:
    """An autogenerate against the migrated database finds nothing to add, drop or alter."""
    engine = create_engine(databases.migrated(MIGRATIONS, "consultation"), pool_size=1)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert found == []

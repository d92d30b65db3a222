"""The table registration: one module registers every context's tables, and the migrations make
exactly those tables (what `alembic revision --autogenerate` would compare)."""

from pathlib import Path
from typing import Any

import grimp
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

import member_svc
from cppcc_common.db import create_engine
from member_svc.tables import metadata

MIGRATIONS = Path(member_svc.__file__).parent / "migrations"
CONTEXTS = ["directory", "duty", "identity", "roster"]


async def test_the_migrations_make_exactly_the_registered_tables(databases: Any) -> None:
    """An autogenerate against the migrated database finds nothing to add, drop or alter."""
    engine = create_engine(databases.migrated(MIGRATIONS, "member"), pool_size=1)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert found == []


def test_the_shared_base_and_tables_import_no_context_back() -> None:
    """No registration cycle: the contexts' models import `member_svc.db` (or `.models`), and
    neither of those imports any context; only `member_svc.tables` names them all."""
    graph = grimp.build_graph("member_svc")
    for context in CONTEXTS:
        models = f"member_svc.{context}.models"
        assert graph.chain_exists(importer="member_svc.tables", imported=models)
        for shared in ("member_svc.db", "member_svc.models"):
            assert not graph.chain_exists(importer=shared, imported=models), (shared, models)

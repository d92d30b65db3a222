"""Alembic helpers: the async env.py body every service shares, and programmatic upgrade."""

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from cppcc_common.db import async_url


def alembic_config(migrations: Path | str, database_url: str) -> Config:
    """Alembic configuration for a service's migrations folder (kept inside its package)."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["database_url"] = database_url
    return config


def upgrade(migrations: Path | str, database_url: str, revision: str = "head") -> None:
    """Runs a service's migrations up to `revision` (blocking; call from a thread when async)."""
    command.upgrade(alembic_config(migrations, database_url), revision)


def run_env(metadata: MetaData, env_var: str | None = None) -> None:
    """The whole body of a service's migrations/env.py; `env_var` names its database URL setting."""
    config = context.config
    url = config.attributes.get("database_url") or os.environ.get(env_var or "", "")
    if not url:
        raise RuntimeError(f"no database URL: set {env_var}")

    def do_run(connection: Connection) -> None:
        # Several replicas may start at once: one migrates, the others wait and then find nothing to do.
        connection.execute(text("SELECT pg_advisory_lock(727002)"))
        connection.commit()  # the lock is held by the session; Alembic then runs its own transaction
        try:
            context.configure(connection=connection, target_metadata=metadata, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(727002)"))
            connection.commit()

    async def run_async() -> None:
        engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())

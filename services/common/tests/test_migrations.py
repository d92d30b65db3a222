"""Every service's migrations apply from scratch, concurrently from two processes, and again
later with nothing to do; they leave exactly the tables the service declares."""

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

import consultation_svc
import member_svc
import notify_svc
import proposal_svc
from cppcc_common.migrations import upgrade
from cppcc_common.testing.servers import run_blocking

SERVICES = {
    "member": member_svc,
    "proposal": proposal_svc,
    "consultation": consultation_svc,
    "notify": notify_svc,
}


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


def _declared(package: str) -> set[str]:
    """The tables `<package>.models.metadata` declares on its own, in a fresh interpreter: in this
    one, whatever other tests imported before would have registered their tables too."""
    script = f"import {package}.models as m; print(' '.join(sorted(m.metadata.tables)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_migrations_create_every_declared_table_even_when_run_concurrently(
    name: str, databases: Any
) -> None:
    package = SERVICES[name]
    url = databases.empty(f"mig_{name}")
    migrations = Path(package.__file__).parent / "migrations"
    # Two replicas starting at once (separate processes, as in a rollout): both succeed.
    script = f"from cppcc_common.migrations import upgrade; upgrade({str(migrations)!r}, {url!r})"
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", script) for _ in range(2)]
    assert [await p.wait() for p in procs] == [0, 0]
    run_blocking(lambda: upgrade(migrations, url))  # and again later: nothing to do
    declared = set(__import__(f"{package.__name__}.models", fromlist=["metadata"]).metadata.tables)
    assert declared | {"alembic_version"} == await _tables(url)

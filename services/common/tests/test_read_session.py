"""The read path: a single-statement read is one round trip (no BEGIN/COMMIT), a read session
cannot write, and a pooled connection the database dropped while idle does not fail the next read."""

from typing import Any
from uuid import uuid4

import pytest
from fastapi import APIRouter, Depends
from mech_support import widgets
from sqlalchemy import func, select, text
from sqlalchemy.orm import DeclarativeBase

from cppcc_common import db
from cppcc_common.app import create_service_app
from cppcc_common.auth import PUBLIC
from cppcc_common.db import ReadConnectionDep, create_engine, create_read_sessionmaker, session_scope
from cppcc_common.settings import ServiceSettings
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.tokens import TestIssuer


class _Base(DeclarativeBase):
    pass


class Widget(_Base):
    __table__ = widgets


async def test_a_single_statement_read_runs_outside_any_transaction_block(engine: Any) -> None:
    """Without BEGIN each statement is a transaction of its own (and nothing is left to COMMIT)."""
    async with create_read_sessionmaker(engine)() as session:
        xids = [(await session.execute(text("SELECT txid_current()"))).scalar_one() for _ in range(3)]
        assert len(set(xids)) == 3
        raw = await (await session.connection()).get_raw_connection()
        assert not raw.driver_connection.is_in_transaction()


async def test_a_read_session_cannot_write(engine: Any, sessionmaker: Any) -> None:
    async with create_read_sessionmaker(engine)() as session:
        session.add(Widget(id=uuid4(), name="sneaky"))
        with pytest.raises(RuntimeError, match="cannot write"):
            await session.flush()
    async with session_scope(sessionmaker) as session:
        assert (await session.execute(select(func.count()).select_from(widgets))).scalar_one() == 0


async def test_a_connection_dropped_while_idle_does_not_fail_the_next_read(
    mech_db_url: str, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkin counts as a long idle
    reader = create_engine(mech_db_url, pool_size=1)
    try:
        read = create_read_sessionmaker(reader)
        async with read() as session:
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as admin:  # the database (or a restart) drops the idle connection
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with read() as session:
            assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await reader.dispose()


read_router = APIRouter(dependencies=[Depends(PUBLIC)])


@read_router.get("/api/v1/backend")
async def backend(conn: ReadConnectionDep) -> dict[str, int]:
    return {"pid": await conn.fetchval("SELECT pg_backend_pid()")}


async def test_a_connection_dropped_under_a_driver_read_is_503_and_never_drawn_again(
    mech_db_url: str, engine: Any, nats_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hot read on the raw driver connection: the pool must still learn that the connection died."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 1e9)  # no idle ping to hide the dead connection
    settings = ServiceSettings(
        database_url=mech_db_url,
        nats_url=nats_server.url,
        relay_enabled=False,
        consumers_enabled=False,
        database_pool_size=1,
    )
    app = create_service_app(
        settings,
        title="reads",
        description="a hot read on the driver connection",
        routers=[read_router],
        streams=[],
        idempotency=False,
        key_source=TestIssuer().key_source(),
    )
    async with serve_app(app) as client:
        pids = {(await client.get("/api/v1/backend")).json()["pid"] for _ in range(3)}
        async with engine.connect() as admin:  # the database drops the pooled connections
            for pid in pids:
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        answers = [await client.get("/api/v1/backend") for _ in range(len(pids) + 2)]
        failed = [a for a in answers if a.status_code != 200]
        assert all(a.status_code == 503 and int(a.headers["retry-after"]) > 0 for a in failed), [
            a.text for a in failed
        ]
        assert len(failed) <= len(pids) and answers[-1].json()["pid"] not in pids

"""A request's unit of work (`cppcc_common.db.RequestUnit`): one connection, one transaction at the
driver; the ORM session, made only when asked for, writes in that same transaction; the outbox
row commits or rolls back with the rest; a lost connection is not pooled again."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from mech_support import WidgetChangedV1, widgets
from sqlalchemy import func, insert, select, text

from cppcc_common.change import Change
from cppcc_common.db import RequestUnit, driver_connection, request_unit, session_scope, unit_cache
from cppcc_common.tracing import new_traceparent

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def _count(sessionmaker: Any, table: str) -> int:
    async with session_scope(sessionmaker) as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_driver_statements_orm_writes_and_the_outbox_row_commit_in_one_transaction(
    sessionmaker: Any,
) -> None:
    async with request_unit(sessionmaker) as unit:
        change = Change(unit, NOW, "/test", new_traceparent())
        conn = await driver_connection(unit)
        await conn.execute("INSERT INTO widgets (id, name) VALUES ($1, 'driver')", uuid4())
        await change.session.execute(insert(widgets).values(id=uuid4(), name="orm"))
        await change.emit(WidgetChangedV1(widget_id=uuid4(), name="x"), subject="w", orgid=None)
        # One backend, one transaction: the driver, the ORM and the outbox row see one xid.
        xids = {
            await conn.fetchval("SELECT txid_current()"),
            (await change.session.execute(text("SELECT txid_current()"))).scalar_one(),
        }
        assert len(xids) == 1
    assert await _count(sessionmaker, "widgets") == 2
    assert await _count(sessionmaker, "outbox") == 1


async def test_a_failing_request_rolls_back_the_driver_the_orm_and_the_outbox_alike(
    sessionmaker: Any,
) -> None:
    with pytest.raises(RuntimeError):
        async with request_unit(sessionmaker) as unit:
            change = Change(unit, NOW, "/test", new_traceparent())
            await (await driver_connection(unit)).execute(
                "INSERT INTO widgets (id, name) VALUES ($1, 'a')", uuid4()
            )
            await change.session.execute(insert(widgets).values(id=uuid4(), name="orm"))
            await change.emit(WidgetChangedV1(widget_id=uuid4(), name="x"), subject="w", orgid=None)
            raise RuntimeError("refused")
    assert await _count(sessionmaker, "widgets") == 0
    assert await _count(sessionmaker, "outbox") == 0


async def test_an_error_that_keeps_changes_commits_what_was_done_before_it(sessionmaker: Any) -> None:
    class Refused(Exception):
        keeps_changes = True

    with pytest.raises(Refused):
        async with request_unit(sessionmaker) as unit:
            await unit.session.execute(insert(widgets).values(id=uuid4(), name="revoked family"))
            raise Refused()
    assert await _count(sessionmaker, "widgets") == 1


async def test_a_driver_only_unit_makes_no_orm_session(sessionmaker: Any) -> None:
    async with request_unit(sessionmaker) as unit:
        await (await driver_connection(unit)).execute(
            "INSERT INTO widgets (id, name) VALUES ($1, 'd')", uuid4()
        )
        unit_cache(unit)["seen"] = True
        assert unit.session_if_made is None
    assert await _count(sessionmaker, "widgets") == 1


async def test_the_session_of_a_unit_answers_the_units_connection_and_cache(sessionmaker: Any) -> None:
    async with request_unit(sessionmaker) as unit:
        unit_cache(unit)["k"] = 1
        assert unit_cache(unit.session) is unit_cache(unit)
        assert await driver_connection(unit.session) is await driver_connection(unit)


async def test_the_units_transaction_begins_at_its_first_statement_and_ends_with_it(
    sessionmaker: Any,
) -> None:
    async with request_unit(sessionmaker) as unit:
        assert isinstance(unit, RequestUnit)
        conn = await driver_connection(unit)
        assert conn.is_in_transaction()
    assert not conn.is_in_transaction()  # committed, given back


async def test_a_connection_lost_under_a_unit_is_not_pooled_again(sessionmaker: Any, engine: Any) -> None:
    pids = set()
    with pytest.raises(Exception):  # noqa: B017 (the driver's error for a terminated backend)
        async with request_unit(sessionmaker) as unit:
            conn = await driver_connection(unit)
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            pids.add(pid)
            async with engine.connect() as admin:
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await conn.fetchval("SELECT 1")
    for _ in range(3):
        async with request_unit(sessionmaker) as unit:
            pid = await (await driver_connection(unit)).fetchval("SELECT pg_backend_pid()")
            assert pid not in pids
    async with session_scope(sessionmaker) as session:
        assert (await session.execute(select(func.count()).select_from(widgets))).scalar_one() == 0

"""The transactional outbox and its relay, on real PostgreSQL and a real nats-server."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from mech_support import WidgetChangedV1, widgets
from sqlalchemy import func, insert, select, text

from cppcc_common.events import make_event
from cppcc_common.ids import new_id
from cppcc_common.outbox import OutboxRelay, stage
from cppcc_common.testing.events import count_messages


def _event(widget_id: UUID) -> Any:
    return make_event(
        WidgetChangedV1(widget_id=widget_id, name="w"), source="/test", subject=widget_id, orgid=None
    )


async def _change_widget(sessionmaker: Any, *, fail: bool = False) -> UUID:
    widget_id = new_id()
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(widgets).values(id=widget_id, name="w"))
        await stage(session, _event(widget_id))
        if fail:
            raise RuntimeError("business rule failed after staging")
    return widget_id


async def _unsent(engine: Any) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))).scalar_one()
        )


async def test_exception_before_commit_leaves_neither_state_nor_event(engine: Any, sessionmaker: Any) -> None:
    with pytest.raises(RuntimeError):
        await _change_widget(sessionmaker, fail=True)
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(widgets))).scalar_one() == 0
        assert (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one() == 0


@pytest.mark.parametrize("staged_first", [True, False])
async def test_staged_events_share_the_fate_of_their_transaction_whatever_ran_before(
    engine: Any, sessionmaker: Any, staged_first: bool
) -> None:
    """`stage` sends its statement straight to the driver once the transaction has begun, and through
    SQLAlchemy (which begins it) when it is the first statement: either way the rows and the wake-up
    commit or roll back with the change."""
    for commit in (False, True):
        widget_id = new_id()
        async with sessionmaker() as session:
            transaction = await session.begin()
            if not staged_first:
                await session.execute(insert(widgets).values(id=widget_id, name="w"))
            await stage(session, _event(widget_id), _event(widget_id))
            if staged_first:
                await session.execute(insert(widgets).values(id=widget_id, name="w"))
            await (transaction.commit() if commit else transaction.rollback())
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT subject, payload FROM outbox"))).all()
        assert len(rows) == (2 if commit else 0)
        assert all(
            r.subject == "cppcc.testing.widget_changed.v1" and str(widget_id) in r.payload for r in rows
        )


async def test_relay_publishes_with_event_id_as_msg_id_and_marks_sent(
    engine: Any, sessionmaker: Any, js: Any
) -> None:
    widget_id = await _change_widget(sessionmaker)
    assert await OutboxRelay(engine, js).relay_once() == 1
    assert await _unsent(engine) == 0
    sub = await js.pull_subscribe("cppcc.testing.>", stream="TESTING")
    [msg] = await sub.fetch(1, timeout=2)
    async with engine.connect() as conn:
        event_id = (await conn.execute(text("SELECT id FROM outbox"))).scalar_one()
    assert msg.headers["Nats-Msg-Id"] == str(event_id)
    assert str(widget_id) in msg.data.decode()


async def test_lower_id_committing_last_is_still_published(engine: Any, sessionmaker: Any, js: Any) -> None:
    relay = OutboxRelay(engine, js)
    early = sessionmaker()
    await early.begin()
    first_id = new_id()  # the lower UUIDv7: staged first, committed last
    await early.execute(insert(widgets).values(id=first_id, name="early"))
    await stage(early, _event(first_id))
    await _change_widget(sessionmaker)  # a higher id commits first
    assert await relay.relay_once() == 1
    await early.commit()
    await early.close()
    assert await relay.relay_once() == 1
    assert await count_messages(js, "TESTING") == 2
    assert await _unsent(engine) == 0


async def test_four_relays_in_parallel_publish_every_row_exactly_once(
    engine: Any, sessionmaker: Any, js: Any
) -> None:
    for _ in range(200):
        await _change_widget(sessionmaker)
    published: list[Any] = []
    relays = [
        OutboxRelay(engine, js, batch_size=7, on_published=lambda rows: published.extend(r.id for r in rows))
        for _ in range(4)
    ]

    async def drain(relay: OutboxRelay) -> None:
        while await _unsent(engine):
            await relay.relay_once()

    await asyncio.gather(*(drain(r) for r in relays))
    assert len(published) == 200 and len(set(published)) == 200  # no row was published twice
    assert await count_messages(js, "TESTING") == 200


CRASHING_RELAY = """
import asyncio, os, signal, sys
import nats
from cppcc_common.db import create_engine
from cppcc_common.outbox import OutboxRelay

async def main():
    nc = await nats.connect(sys.argv[2])
    relay = OutboxRelay(create_engine(sys.argv[1]), nc.jetstream(),
                        on_published=lambda rows: os.kill(os.getpid(), signal.SIGKILL))
    await relay.relay_once()

asyncio.run(main())
"""


async def test_relay_killed_between_publish_and_mark_sent_yields_one_message(
    engine: Any, sessionmaker: Any, js: Any, nats_server: Any, mech_db_url: str, tmp_path: Path
) -> None:
    await _change_widget(sessionmaker)
    script = tmp_path / "crashing_relay.py"
    script.write_text(CRASHING_RELAY)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), mech_db_url, nats_server.url, env=dict(os.environ)
    )
    assert await proc.wait() == -signal.SIGKILL
    assert await _unsent(engine) == 1  # published, but never marked sent
    assert await count_messages(js, "TESTING") == 1
    assert await OutboxRelay(engine, js).relay_once() == 1  # the restarted relay publishes it again
    assert await _unsent(engine) == 0
    assert await count_messages(js, "TESTING") == 1  # JetStream kept one copy (same Nats-Msg-Id)


async def test_events_committed_while_nats_is_down_are_delivered_after_restart(
    engine: Any, sessionmaker: Any, js: Any, nats_server: Any
) -> None:
    relay = OutboxRelay(engine, js, interval=0.05)
    task = asyncio.create_task(relay.run())
    try:
        await _change_widget(sessionmaker)
        await _wait_until(lambda: _unsent(engine), 0)
        nats_server.stop()
        for _ in range(5):
            await _change_widget(sessionmaker)
        await asyncio.sleep(0.5)
        assert await _unsent(engine) == 5  # the outbox holds them meanwhile
        nats_server.start()
        await _wait_until(lambda: _unsent(engine), 0, timeout=30)
        assert await count_messages(js, "TESTING") == 6
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _wait_until(probe: Any, expected: Any, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await probe()) != expected:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {value}, expected {expected}")
        await asyncio.sleep(0.05)


def test_crash_script_is_python() -> None:
    subprocess.run([sys.executable, "-c", f"compile({CRASHING_RELAY!r}, 's', 'exec')"], check=True)


async def test_a_wake_that_arrives_during_a_relay_round_is_not_lost(
    engine: Any, sessionmaker: Any, js: Any
) -> None:
    """A commit's NOTIFY that lands while a round is publishing starts the next round at once:
    with a poll interval of an hour, only the wake can relay the second event."""
    relay: OutboxRelay

    async def commit_another_during_the_round(rows: Any) -> None:
        if len(staged) == 1:
            staged.append(await _change_widget(sessionmaker))
            relay.wake()  # what the LISTEN connection does when that commit's NOTIFY arrives

    staged: list[UUID] = []
    relay = OutboxRelay(engine, js, interval=3600.0, on_published=commit_another_during_the_round)
    staged.append(await _change_widget(sessionmaker))
    relay.wake()
    task = asyncio.create_task(relay.run())
    try:
        await _wait_until(lambda: _unsent(engine), 0, timeout=5.0)
        assert len(staged) == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _notifies_during(engine: Any, work: Any) -> int:
    """How many NOTIFYs on the relay's channel arrive while `work` runs (and shortly after)."""
    import asyncpg

    from cppcc_common.db import driver_dsn

    heard: list[str] = []
    conn = await asyncpg.connect(driver_dsn(engine.url.render_as_string(hide_password=False)))
    try:
        await conn.add_listener("cppcc_outbox", lambda *args: heard.append(args[-1]))
        await work()
        await asyncio.sleep(0.3)
    finally:
        await conn.close()
    return len(heard)


async def test_a_commit_wakes_its_own_processs_relay_without_a_notify(engine: Any, js: Any) -> None:
    """Publish on commit: a unit of work from a sessionmaker whose process runs a relay
    (`publish_on_commit`) writes its outbox rows without a NOTIFY (which would serialise its commit
    with every other NOTIFYing commit) and wakes the relay in-process once committed — the request's
    unit at the driver and a session's unit alike. With an hour's poll interval only that wake can
    publish the events this fast; a rolled-back unit publishes nothing."""
    from cppcc_common.db import create_sessionmaker, publish_on_commit, request_unit

    relay = OutboxRelay(engine, js, interval=3600.0)
    sessions = create_sessionmaker(engine)
    publish_on_commit(sessions, relay.wake)
    task = asyncio.create_task(relay.run())
    await _wait_until(lambda: _unsent(engine), 0, timeout=5.0)  # the first round (at start) is done
    try:

        async def commit_both_ways() -> None:
            async with request_unit(sessions) as unit:
                widget_id = new_id()
                await (await unit.driver()).execute(
                    "INSERT INTO widgets (id, name) VALUES ($1, 'w')", widget_id
                )
                await stage(unit, _event(widget_id))
            await _change_widget(sessions)
            with pytest.raises(RuntimeError):
                await _change_widget(sessions, fail=True)

        assert await _notifies_during(engine, commit_both_ways) == 0
        await _wait_until(lambda: _unsent(engine), 0, timeout=5.0)
        assert await count_messages(js, "TESTING") == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_unit_whose_process_runs_no_relay_notifies_one_elsewhere(
    engine: Any, sessionmaker: Any
) -> None:
    """A command or the demo's seeding commits from a process with no relay: its outbox rows NOTIFY
    the services' relays at commit."""
    assert await _notifies_during(engine, lambda: _change_widget(sessionmaker)) == 1


async def test_events_staged_under_a_rolled_back_savepoint_are_never_published(engine: Any, js: Any) -> None:
    """The relay publishes committed rows only: an event staged under a savepoint that is rolled
    back (a consumer's failed event in a batch, a roster row refused) leaves with nothing of it."""
    from cppcc_common.db import create_sessionmaker, publish_on_commit

    relay = OutboxRelay(engine, js, interval=3600.0)
    sessions = create_sessionmaker(engine)
    publish_on_commit(sessions, relay.wake)
    task = asyncio.create_task(relay.run())
    try:
        kept = new_id()
        async with sessions() as session, session.begin():
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    await stage(session, _event(new_id()))
                    raise RuntimeError("this row is refused")
            await stage(session, _event(kept))
        await _wait_until(lambda: _unsent(engine), 0, timeout=5.0)
        assert await count_messages(js, "TESTING") == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

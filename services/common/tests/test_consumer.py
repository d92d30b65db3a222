"""The idempotent consumer: effect and inbox row in one transaction, dead letters, replay."""

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from mech_support import WidgetChangedV1, widgets
from sqlalchemy import event, insert, select, text, update

from cppcc_common.change import Change
from cppcc_common.clock import FakeClock
from cppcc_common.consumer import Consumer, ConsumerSpec, list_dead_letters, replay_dead_letter
from cppcc_common.events import CloudEvent, EventData, make_event
from cppcc_common.ids import new_id

TYPE = WidgetChangedV1.event_type


async def _apply(change: Change, envelope: CloudEvent, data: EventData) -> None:
    assert isinstance(data, WidgetChangedV1)
    await change.session.execute(
        update(widgets).where(widgets.c.id == data.widget_id).values(applied=widgets.c.applied + 1)
    )


async def _widget(sessionmaker: Any) -> UUID:
    widget_id = new_id()
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(widgets).values(id=widget_id, name="w"))
    return widget_id


async def _publish(js: Any, event: CloudEvent, msg_id: str | None = None) -> None:
    await js.publish(event.type, event.to_json(), headers={"Nats-Msg-Id": msg_id or str(event.id)})


def _event(widget_id: UUID) -> CloudEvent:
    return make_event(
        WidgetChangedV1(widget_id=widget_id, name="w"), source="/test", subject=widget_id, orgid=None
    )


async def _applied(engine: Any, widget_id: UUID) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(widgets.c.applied).where(widgets.c.id == widget_id))).scalar_one()
        )


async def _run_until(consumer: Consumer, predicate: Any, timeout: float = 15.0) -> None:
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await predicate():
            assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _spec(name: str, handler: Any = _apply, **kw: Any) -> ConsumerSpec:
    return ConsumerSpec(
        name=name, stream="TESTING", subjects=["cppcc.testing.>"], handlers={TYPE: handler}, **kw
    )


class CrashBeforeAck(Consumer):
    """Dies (as far as NATS can tell) after its transaction committed, before acking, once."""

    crashed = False

    async def _ack(self, msg: Any) -> None:
        if not CrashBeforeAck.crashed:
            CrashBeforeAck.crashed = True
            return  # no ack: JetStream redelivers after ack_wait
        await super()._ack(msg)


async def test_crash_after_commit_before_ack_applies_the_effect_once(
    engine: Any, sessionmaker: Any, js: Any
) -> None:
    widget_id = await _widget(sessionmaker)
    await _publish(js, _event(widget_id))
    consumer = CrashBeforeAck(_spec("crashy", ack_wait=1.0), js, sessionmaker)
    info: dict[str, Any] = {}

    async def redelivered_and_acked() -> bool:
        info["c"] = await js.consumer_info("TESTING", "crashy")
        c = info["c"]  # delivered twice (the crash, the redelivery), nothing left unacknowledged
        return bool(CrashBeforeAck.crashed and c.delivered.consumer_seq >= 2 and c.num_ack_pending == 0)

    await _run_until(consumer, redelivered_and_acked)
    assert await _applied(engine, widget_id) == 1


async def test_an_event_delivered_five_times_applies_once(engine: Any, sessionmaker: Any, js: Any) -> None:
    widget_id = await _widget(sessionmaker)
    event = _event(widget_id)
    for i in range(5):  # five copies past JetStream's dedup (different Nats-Msg-Id), same event id
        await _publish(js, event, msg_id=f"{event.id}-{i}")
    consumer = Consumer(_spec("dupes"), js, sessionmaker)

    async def all_acked() -> bool:
        c = await js.consumer_info("TESTING", "dupes")
        return bool(c.delivered.stream_seq == 5 and c.num_ack_pending == 0)

    await _run_until(consumer, all_acked)
    assert await _applied(engine, widget_id) == 1
    async with engine.connect() as conn:
        assert (
            await conn.execute(text("SELECT count(*) FROM inbox WHERE consumer = 'dupes'"))
        ).scalar_one() == 1


async def test_failing_handler_ends_in_dead_letters_after_max_deliver_and_can_be_replayed(
    engine: Any, sessionmaker: Any, js: Any
) -> None:
    widget_id = await _widget(sessionmaker)
    await _publish(js, _event(widget_id))
    attempts: list[int] = []

    async def broken(change: Change, envelope: CloudEvent, data: EventData) -> None:
        await _apply(change, envelope, data)  # rolled back with the failure
        attempts.append(1)
        raise RuntimeError("downstream rule failed")

    consumer = Consumer(_spec("broken", broken, max_deliver=3, backoff=(0.05,)), js, sessionmaker)

    async def dead_lettered() -> bool:
        async with sessionmaker() as session:
            return bool(await list_dead_letters(session, "broken"))

    await _run_until(consumer, dead_lettered)
    assert len(attempts) == 3
    assert await _applied(engine, widget_id) == 0
    async with sessionmaker() as session:
        [dead] = await list_dead_letters(session, "broken")
    assert dead.deliveries == 3 and "downstream rule failed" in dead.error
    # After the fix, operators replay it: applied once, and a second replay does nothing.
    fixed = _spec("broken")
    assert await replay_dead_letter(sessionmaker, fixed, dead.id) is True
    assert await replay_dead_letter(sessionmaker, fixed, dead.id) is False
    assert await _applied(engine, widget_id) == 1
    async with sessionmaker() as session:
        assert await list_dead_letters(session, "broken") == []


async def test_unknown_event_types_are_dead_lettered_at_once(sessionmaker: Any, js: Any) -> None:
    event = _event(new_id())
    raw = event.to_json().replace(b"cppcc.testing.widget_changed.v1", b"cppcc.testing.unheard_of.v1")
    await js.publish("cppcc.testing.unheard_of.v1", raw)
    consumer = Consumer(_spec("strict"), js, sessionmaker)

    async def dead_lettered() -> bool:
        async with sessionmaker() as session:
            return bool(await list_dead_letters(session, "strict"))

    await _run_until(consumer, dead_lettered)
    async with sessionmaker() as session:
        [dead] = await list_dead_letters(session, "strict")
    assert dead.deliveries == 1 and "UnknownEventType" in dead.error


async def test_a_handler_reads_now_from_the_consumers_injected_clock(sessionmaker: Any, js: Any) -> None:
    """Nothing outside the clock reads the wall time: a handler's `now` is the runtime's clock."""
    clock = FakeClock(datetime(2030, 6, 1, 8, 0, tzinfo=UTC))
    seen: list[datetime] = []

    async def record(change: Change, envelope: CloudEvent, data: EventData) -> None:
        seen.append(change.now)

    await _publish(js, _event(await _widget(sessionmaker)))
    consumer = Consumer(_spec("clocked", record), js, sessionmaker, clock=clock)

    async def handled() -> bool:
        return bool(seen)

    await _run_until(consumer, handled)
    assert seen == [clock.now()]


async def test_events_are_handled_without_waiting_for_a_batch_to_fill(sessionmaker: Any, js: Any) -> None:
    """Commit to effect is not bounded below by a fetch window: events published to a waiting
    consumer are handled as they arrive, not when a batch of 50 fills or the fetch's wait expires.
    The fetch waits 60 s here, so a consumer that waited for either would take a minute; the
    margin below is for a loaded machine, not a latency target (that is `make bench`'s)."""
    handled: asyncio.Queue[float] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def note(change: Change, envelope: CloudEvent, data: EventData) -> None:
        handled.put_nowait(loop.time())

    consumer = Consumer(_spec("prompt", note, fetch_wait=60.0), js, sessionmaker)
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        for burst in (1, 1, 5, 20):  # each right after the last was handled: a fresh fetch waits
            sent = loop.time()
            await asyncio.gather(*(_publish(js, _event(new_id())) for _ in range(burst)))
            done = [await asyncio.wait_for(handled.get(), timeout=30) for _ in range(burst)]
            assert max(done) - sent < 15.0, (burst, max(done) - sent)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_failing_event_in_a_batch_is_retried_alone_while_the_others_commit(
    engine: Any, sessionmaker: Any, js: Any
) -> None:
    """A fetched batch commits once: the one whose handler fails is undone alone and redelivered;
    the others are applied exactly once (run again, under savepoints, after the batch's first try
    was rolled back at the failure)."""
    widgets_ = [await _widget(sessionmaker) for _ in range(5)]
    flaky = widgets_[2]
    attempts: list[UUID] = []

    async def sometimes(change: Change, envelope: CloudEvent, data: EventData) -> None:
        assert isinstance(data, WidgetChangedV1)
        await _apply(change, envelope, data)
        attempts.append(data.widget_id)
        if data.widget_id == flaky and attempts.count(flaky) == 1:
            raise RuntimeError("first delivery fails after writing")

    for widget_id in widgets_:
        await _publish(js, _event(widget_id))
    consumer = Consumer(_spec("batched", sometimes, backoff=(0.05,)), js, sessionmaker)
    await consumer.start()
    commits: list[object] = []
    listener = commits.append
    event.listen(engine.sync_engine, "commit", listener)
    try:
        await consumer.handle_batch(await consumer._sub.fetch(5, timeout=5))  # one batch of all five
    finally:
        event.remove(engine.sync_engine, "commit", listener)
    assert len(commits) == 1  # one commit for the batch, not one per event
    assert [await _applied(engine, w) for w in widgets_] == [1, 1, 0, 1, 1]

    async def all_applied() -> bool:
        return all([await _applied(engine, w) == 1 for w in widgets_])

    await _run_until(consumer, all_applied)
    first_try, isolated, redelivery = widgets_[:3], [w for w in widgets_ if w != flaky], [flaky]
    assert attempts == first_try + isolated + redelivery


async def test_a_lone_event_is_applied_without_a_savepoint(engine: Any, sessionmaker: Any, js: Any) -> None:
    """The savepoint isolates events of one batch from each other; a batch of one needs none (it
    would cost two round trips per event where latency matters most)."""
    widget_id = await _widget(sessionmaker)
    await _publish(js, _event(widget_id))
    consumer = Consumer(_spec("lone"), js, sessionmaker)
    await consumer.start()
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        await consumer.handle_batch(await consumer._sub.fetch(1, timeout=5))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
    assert await _applied(engine, widget_id) == 1
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


async def test_a_batch_whose_handlers_all_succeed_takes_no_savepoint(
    engine: Any, sessionmaker: Any, js: Any
) -> None:
    """The fast path: a batch of several events runs in one transaction with no savepoint (two round
    trips per event); savepoints are taken only once a handler has failed."""
    widgets_ = [await _widget(sessionmaker) for _ in range(5)]
    for widget_id in widgets_:
        await _publish(js, _event(widget_id))
    consumer = Consumer(_spec("fast"), js, sessionmaker)
    await consumer.start()
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        await consumer.handle_batch(await consumer._sub.fetch(5, timeout=5))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
    assert [await _applied(engine, w) for w in widgets_] == [1] * 5
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    # The handler's update through the ORM, once each; the inbox row goes on the driver, once each.
    assert len(statements) == len(widgets_)
    async with engine.connect() as conn:
        claimed = await conn.execute(text("SELECT count(*) FROM inbox WHERE consumer = 'fast'"))
        assert claimed.scalar_one() == len(widgets_)

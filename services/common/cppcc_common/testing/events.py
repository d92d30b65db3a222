"""Helpers for tests that wait for events on JetStream."""

import time
from collections.abc import Callable

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from cppcc_common.bus import stream_for_subject
from cppcc_common.events import CloudEvent


async def wait_for_event(
    js: JetStreamContext,
    subject: str,
    predicate: Callable[[CloudEvent], bool] = lambda _: True,
    *,
    timeout: float = 10.0,
) -> CloudEvent:
    """The first event on `subject` (from the start of its stream) matching `predicate`."""
    stream = stream_for_subject(subject).name
    sub = await js.pull_subscribe(
        subject,
        stream=stream,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0),
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                msgs = await sub.fetch(100, timeout=min(1.0, max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                continue
            for msg in msgs:
                await msg.ack()
                event = CloudEvent.model_validate_json(msg.data)
                if predicate(event):
                    return event
        raise TimeoutError(f"no event on {subject} matched within {timeout}s")
    finally:
        await sub.unsubscribe()


async def count_messages(js: JetStreamContext, stream: str) -> int:
    info = await js.stream_info(stream)
    return int(info.state.messages)


async def events_on(
    js: JetStreamContext, subject: str, predicate: Callable[[CloudEvent], bool] = lambda _: True
) -> list[CloudEvent]:
    """Every event on `subject` now in its stream that matches `predicate`, oldest first."""
    stream = stream_for_subject(subject).name
    pending = (await js.stream_info(stream, subjects_filter=subject)).state.subjects or {}
    wanted = pending.get(subject, 0)
    sub = await js.pull_subscribe(
        subject,
        stream=stream,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0),
    )
    found: list[CloudEvent] = []
    seen = 0
    try:
        while seen < wanted:
            for msg in await sub.fetch(100, timeout=5.0):
                await msg.ack()
                seen += 1
                event = CloudEvent.model_validate_json(msg.data)
                if predicate(event):
                    found.append(event)
        return found
    finally:
        await sub.unsubscribe()

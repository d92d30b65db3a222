"""NATS JetStream: connection with retries, and the streams of DESIGN.md §4 set up idempotently."""

import asyncio
import logging
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

log = logging.getLogger("cppcc.bus")

DUPLICATE_WINDOW_SECONDS = 120.0


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]


# One stream per producing service; the subject of an event is its type name.
STREAMS: dict[str, StreamSpec] = {
    "PROPOSAL": StreamSpec("PROPOSAL", ("cppcc.proposal.>", "cppcc.opinion.>")),
    "CONSULTATION": StreamSpec("CONSULTATION", ("cppcc.consultation.>",)),
    "MEMBER": StreamSpec("MEMBER", ("cppcc.member.>", "cppcc.org.>", "cppcc.unit.>")),
    "NOTIFY": StreamSpec("NOTIFY", ("cppcc.notify.>",)),
}


def stream_for_subject(subject: str) -> StreamSpec:
    """The stream a subject belongs to (by its domain)."""
    for spec in STREAMS.values():
        for pattern in spec.subjects:
            if subject.startswith(pattern.removesuffix(">")):
                return spec
    raise KeyError(subject)


async def connect(url: str, *, name: str, attempts: int = 60) -> NATS:
    """Connects (retrying while the server is starting), then reconnects forever on loss."""
    delay = 0.2
    for attempt in range(1, attempts + 1):
        try:
            return await nats.connect(
                servers=[u.strip() for u in url.split(",")],
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
                allow_reconnect=True,
            )
        except Exception as exc:  # nats raises several unrelated types while the server is down
            if attempt == attempts:
                raise
            log.warning("NATS not reachable yet, retrying", extra={"error": str(exc), "attempt": attempt})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise RuntimeError("unreachable")


def stream_config(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
        discard=DiscardPolicy.OLD,
    )


async def ensure_streams(js: JetStreamContext, names: list[str], *, replicas: int = 1) -> None:
    """Creates the named streams or brings their configuration up to date; safe to run concurrently."""
    for name in names:
        config = stream_config(STREAMS[name], replicas)
        try:
            await js.stream_info(name)
        except NotFoundError:
            try:
                await js.add_stream(config)
                continue
            except BadRequestError:
                pass  # another process created it a moment ago
        await js.update_stream(config)

"""The inbox's live stream (Server-Sent Events) over real HTTP: items as they commit, resumption
from Last-Event-ID, heartbeats, the per-person bound. Items are made the real way: an event on
NATS, consumed by the module's notify-svc; the stream is served by a second instance (uvicorn, a
real socket: an in-process transport would buffer the body), woken by PostgreSQL's NOTIFY."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest
import uvicorn
from starlette.requests import ClientDisconnect

from cppcc_common.contracts.proposal import ProposalReturnedV1
from cppcc_common.events import make_event
from cppcc_common.testing.servers import free_port
from cppcc_common.testing.tokens import TestIssuer
from notify_svc.channels.inbox.stream import EventStream, InboxHub
from notify_svc.main import create_app
from notify_svc.settings import Settings

ORG = uuid.uuid4()
HEARTBEAT = 0.2
MAX_STREAMS = 2


async def _returned(settings: Settings, person: uuid.UUID) -> uuid.UUID:
    """Publishes an event that makes one inbox item for `person`; its proposal's id."""
    proposal = uuid.uuid4()
    data = ProposalReturnedV1(
        proposal_id=proposal,
        org_id=ORG,
        title="关于加装电梯的建议",
        first_proposer_id=person,
        note="请补充",
        returned_at=datetime(2026, 3, 1, tzinfo=UTC),
        version=3,
    )
    event = make_event(data, source="/proposal-svc", subject=proposal, orgid=ORG)
    nc = await nats.connect(settings.nats_url)
    await nc.jetstream().publish(event.type, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    await nc.close()
    return proposal


@pytest.fixture(scope="module")
async def stream_url(settings: Settings, client: httpx.AsyncClient, issuer: TestIssuer) -> AsyncIterator[str]:
    """A second notify-svc serving the stream (no consumers: the module's `client` app writes items)."""
    streaming = settings.model_copy(
        update={
            "consumers_enabled": False,
            "relay_enabled": False,
            "inbox_stream_heartbeat_seconds": HEARTBEAT,
            "inbox_stream_max_per_person": MAX_STREAMS,
        }
    )
    app = create_app(streaming, key_source=issuer.key_source())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


class Stream:
    """An open SSE response read event by event (comment lines count as events of their own)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        event: dict[str, Any] = {}
        async with asyncio.timeout(timeout):
            async for line in self.lines:
                if line == "":
                    if event:
                        return event
                    continue
                field, _, value = line.partition(":")
                event.setdefault(field or "comment", []).append(value.removeprefix(" "))
        raise AssertionError("the stream ended")

    async def next_item(self, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            event = await self.next(timeout)
            if event.get("event") == ["item"]:
                return {**json.loads(event["data"][0]), "event_id": event["id"][0]}


@asynccontextmanager
async def _stream(url: str, headers: dict[str, str]) -> AsyncIterator[Stream]:
    async with (
        httpx.AsyncClient(base_url=url, timeout=15.0) as http,
        http.stream("GET", "/api/v1/inbox/stream", headers=headers) as r,
    ):
        assert r.status_code == 200, await r.aread()
        assert r.headers["content-type"].startswith("text/event-stream")
        stream = Stream(r)
        hello = await stream.next()  # once it has come, the stream is listening
        assert "comment" in hello
        yield stream


def _h(issuer: TestIssuer, who: uuid.UUID, **extra: str) -> dict[str, str]:
    return issuer.headers(sub=who, org=ORG, roles=["member"]) | extra


async def test_an_item_committed_after_the_stream_opened_arrives_on_it(
    settings: Settings, stream_url: str, issuer: TestIssuer
) -> None:
    me, someone_else = uuid.uuid4(), uuid.uuid4()
    async with _stream(stream_url, _h(issuer, me)) as stream:
        await _returned(settings, someone_else)  # never on my stream
        proposal = await _returned(settings, me)
        item = await stream.next_item()
        assert item["object_id"] == str(proposal) and item["category"] == "proposal.returned"
        assert item["title"] == "提案退回修改：关于加装电梯的建议"


async def test_a_stream_resumed_from_last_event_id_first_sends_the_items_it_missed(
    settings: Settings, stream_url: str, issuer: TestIssuer
) -> None:
    me = uuid.uuid4()
    async with _stream(stream_url, _h(issuer, me)) as stream:
        await _returned(settings, me)
        seen = await stream.next_item()
    # Disconnected: two more items are written meanwhile.
    async with _stream(stream_url, _h(issuer, me)) as watcher:
        missed = [await _returned(settings, me), await _returned(settings, me)]
        assert [(await watcher.next_item())["object_id"] for _ in missed] == [str(p) for p in missed]
    async with _stream(stream_url, _h(issuer, me, **{"Last-Event-ID": seen["event_id"]})) as resumed:
        got = [await resumed.next_item() for _ in missed]
        assert [i["object_id"] for i in got] == [str(p) for p in missed]
        assert int(got[0]["event_id"]) > int(seen["event_id"])
        # And then it goes on live.
        later = await _returned(settings, me)
        assert (await resumed.next_item())["object_id"] == str(later)


async def test_an_idle_stream_sends_heartbeat_comments(stream_url: str, issuer: TestIssuer) -> None:
    async with _stream(stream_url, _h(issuer, uuid.uuid4())) as stream:
        for _ in range(2):
            assert (await stream.next(timeout=HEARTBEAT * 10)) == {"comment": ["heartbeat"]}


async def test_a_person_holds_a_bounded_number_of_streams(stream_url: str, issuer: TestIssuer) -> None:
    me = uuid.uuid4()
    async with (
        _stream(stream_url, _h(issuer, me)),
        _stream(stream_url, _h(issuer, me)),
        httpx.AsyncClient(base_url=stream_url) as http,
    ):
        r = await http.get("/api/v1/inbox/stream", headers=_h(issuer, me))
        assert r.status_code == 429 and r.json()["code"] == "inbox.too_many_streams"
        # Another person is not held back by my streams.
        async with _stream(stream_url, _h(issuer, uuid.uuid4())):
            pass
    # Closed streams free their places (once the server has seen the disconnects).
    async with httpx.AsyncClient(base_url=stream_url) as http:
        async with asyncio.timeout(10):
            while (await _opened(http, _h(issuer, me))) != 200:
                await asyncio.sleep(0.05)


async def _opened(http: httpx.AsyncClient, headers: dict[str, str]) -> int:
    async with http.stream("GET", "/api/v1/inbox/stream", headers=headers) as r:
        return r.status_code


async def test_partner_clients_and_strangers_get_no_stream(stream_url: str, issuer: TestIssuer) -> None:
    async with httpx.AsyncClient(base_url=stream_url) as http:
        assert (await http.get("/api/v1/inbox/stream")).status_code == 401
        partner = await http.get("/api/v1/inbox/stream", headers=issuer.headers(roles=["partner"]))
        assert partner.status_code == 403
        bad = await http.get(
            "/api/v1/inbox/stream", headers=_h(issuer, uuid.uuid4(), **{"Last-Event-ID": "x"})
        )
        assert bad.status_code == 422


async def test_a_stream_gone_before_its_first_byte_frees_its_place() -> None:
    """The client went away before the body started (the body never ran): the place is freed."""
    hub = InboxHub("postgresql://unused", max_per_person=1)
    me = uuid.uuid4()
    wake = hub.open(me)

    async def body() -> AsyncIterator[str]:
        yield ": never sent\n\n"

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def gone(message: dict[str, Any]) -> None:
        raise OSError("client gone")

    response = EventStream(body(), release=lambda: hub.close(me, wake))
    scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
    with pytest.raises(ClientDisconnect):
        await response(scope, receive, gone)
    assert hub.listeners == {}
    hub.open(me)  # the place is free again

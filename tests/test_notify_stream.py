"""The inbox's live stream through the gateway, every process real: a member's stream receives the
receipt of a proposal submitted after it opened, as soon as notify-svc commits it (the gateway
passes the event on unbuffered), and a stream resumed from `Last-Event-ID` first gets the items
written while the member was away."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.testing.waiting import eventually_sync
from cppcc_devstack.demo import login
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e

MEMBER = "13800000003"


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Iterator[httpx.Client]:
    with gateway_client(stack) as client:
        yield client


class Events:
    """An open event stream read one event at a time (blocking; the client's read timeout bounds it)."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> dict[str, list[str]]:
        event: dict[str, list[str]] = {}
        for line in self.lines:
            if line == "":
                if event:
                    return event
                continue
            field, _, value = line.partition(":")
            event.setdefault(field or "comment", []).append(value.removeprefix(" "))
        raise AssertionError("the stream ended")

    def item_about(self, object_id: str) -> dict[str, Any]:
        """The next item about `object_id`, its event id beside it (heartbeats and others skipped)."""
        while True:
            event = self.next()
            if event.get("event") == ["item"]:
                item = json.loads(event["data"][0])
                if item["object_id"] == object_id:
                    return {**item, "event_id": event["id"][0]}


@contextmanager
def _stream(stack: Stack, headers: dict[str, str]) -> Iterator[Events]:
    # Its own client: the stream holds a connection while the test goes on through `gw`. Every read
    # must arrive within 12 s: an item at once, a heartbeat at the latest after 10 s.
    with (
        gateway_client(stack, timeout=httpx.Timeout(12.0)) as client,
        client.stream("GET", "/api/v1/inbox/stream", headers=headers) as r,
    ):
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        events = Events(r)
        assert "comment" in events.next()  # the stream is listening once its first line arrived
        yield events


def _submit(gw: httpx.Client, member: dict[str, str], title: str) -> str:
    draft = gw.post(
        "/api/v1/proposals",
        headers=member,
        json={"title": title, "situation": "情况说明。", "suggestions": ["一条建议"]},
    )
    assert draft.status_code == 201, draft.text
    proposal_id: str = draft.json()["id"]
    assert gw.post(f"/api/v1/proposals/{proposal_id}/submit", headers=member).status_code == 200
    return proposal_id


def test_an_item_committed_after_the_stream_opened_arrives_through_the_gateway(
    gw: httpx.Client, stack: Stack
) -> None:
    member = {"Authorization": f"Bearer {login(gw, MEMBER)}"}
    with _stream(stack, member) as events:
        proposal_id = _submit(gw, member, "关于优化公交线路的建议")
        receipt = events.item_about(proposal_id)
    assert receipt["category"] == "proposal.submitted"
    assert receipt["title"] == "提案已提交：关于优化公交线路的建议"


def test_a_stream_resumed_from_last_event_id_gets_what_was_missed_through_the_gateway(
    gw: httpx.Client, stack: Stack
) -> None:
    member = {"Authorization": f"Bearer {login(gw, MEMBER)}"}
    with _stream(stack, member) as events:
        first = events.item_about(_submit(gw, member, "关于增加社区食堂的建议"))
    # Away: another proposal's receipt is written meanwhile (seen in the list, not on a stream).
    missed = _submit(gw, member, "关于改善老旧小区停车的建议")

    def listed() -> bool:
        items = gw.get("/api/v1/inbox", headers=member).json()["items"]
        return any(i["object_id"] == missed and i["category"] == "proposal.submitted" for i in items)

    eventually_sync(listed)
    with _stream(stack, member | {"Last-Event-ID": first["event_id"]}) as resumed:
        again = resumed.item_about(missed)
    assert again["category"] == "proposal.submitted" and int(again["event_id"]) > int(first["event_id"])

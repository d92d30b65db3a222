"""A trace crosses the bus: the trace id of a client's request is on the log line of the consumer,
in another service, that handled the event the request caused (DESIGN.md §4: the envelope
carries `traceparent`; the consumer restores it).

Every process is real: the request goes through the gateway to the producing service, its event
through the outbox and NATS to notify-svc, whose log file the test reads."""

import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_devstack.demo import DEMO_ACCOUNTS, login
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e


def _traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def _log_lines(path: Path, trace_id: str) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if trace_id not in raw:
            continue
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return [line for line in lines if line.get("trace_id") == trace_id]


def _handled(
    stack: Stack, service: str, trace_id: str, consumer: str, timeout: float = 20.0
) -> dict[str, Any]:
    """The consumer's 'event handled' log line under `trace_id`, waited for."""
    deadline = time.monotonic() + timeout
    path = stack.log_dir / f"{service}.log"
    while True:
        found = [
            line
            for line in _log_lines(path, trace_id)
            if line.get("message") == "event handled" and line.get("consumer") == consumer
        ]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no 'event handled' line of {consumer} under trace {trace_id}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Any:
    with gateway_client(stack) as client:
        yield client


def test_a_requests_trace_id_is_on_the_log_line_of_the_consumer_that_handled_its_event(
    gw: httpx.Client, stack: Stack
) -> None:
    """proposal-svc → NATS → notify-svc: submitting a proposal under a client's trace is logged by
    notify-svc's consumer under that same trace id (and by the gateway and proposal-svc)."""
    member = {"Authorization": f"Bearer {login(gw, DEMO_ACCOUNTS['member_2'])}"}
    draft = gw.post(
        "/api/v1/proposals",
        headers=member,
        json={"title": "关于优化公交线路的建议", "situation": "部分线路重复。", "suggestions": ["调整线路"]},
    )
    assert draft.status_code == 201, draft.text
    trace_id, traceparent = _traceparent()
    submitted = gw.post(
        f"/api/v1/proposals/{draft.json()['id']}/submit", headers={**member, "traceparent": traceparent}
    )
    assert submitted.status_code == 200, submitted.text

    handled = _handled(stack, "notify", trace_id, "notify-proposal")
    assert handled["type"] == "cppcc.proposal.submitted.v1"
    assert handled["service"] == "notify-svc"
    # The request itself was logged under the same trace where it entered and where it changed state.
    assert any(
        line.get("message") == "request" for line in _log_lines(stack.log_dir / "proposal.log", trace_id)
    )
    assert any(
        line.get("message") == "request" for line in _log_lines(stack.log_dir / "gateway.log", trace_id)
    )


def test_member_svc_events_carry_the_trace_of_the_request_that_caused_them(
    gw: httpx.Client, stack: Stack
) -> None:
    """member-svc → NATS → notify-svc: an administrator adding a unit user under a trace; notify-svc
    keeps its recipients from `member.person_registered` and logs that under the same trace."""
    admin = {"Authorization": f"Bearer {login(gw, DEMO_ACCOUNTS['admin'])}"}
    units = gw.get("/api/v1/units", headers=admin)
    assert units.status_code == 200, units.text
    unit_id = units.json()["items"][0]["id"]
    trace_id, traceparent = _traceparent()
    phone = f"139{secrets.randbelow(10**8):08d}"
    added = gw.post(
        f"/api/v1/units/{unit_id}/users",
        headers={**admin, "traceparent": traceparent},
        json={"name": "承办联络员", "phone": phone},
    )
    assert added.status_code == 201, added.text

    handled = _handled(stack, "notify", trace_id, "notify-member")
    assert handled["type"] in {"cppcc.member.person_registered.v1", "cppcc.member.unit_user_added.v1"}

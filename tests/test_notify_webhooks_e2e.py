"""A partner government system receives its unit's events as signed webhooks (issue 10), end to end:
the stack as real processes, the demo partner client, a real HTTP receiver on this host."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from e2e_support import gateway_client
from standardwebhooks.webhooks import Webhook

from cppcc_devstack.demo import auth_headers, login, partner_credentials, partner_token
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e


class Receiver:
    """A real HTTP server on 127.0.0.1 recording every POST with the time it arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner.arrived:
                    owner.received.append((time.monotonic(), dict(self.headers), body))
                    owner.arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def first(self, predicate: Any, timeout: float = 10.0) -> tuple[float, dict[str, str], bytes]:
        with self.arrived:
            deadline = time.monotonic() + timeout
            while True:
                for item in self.received:
                    if predicate(json.loads(item[2])):
                        return item
                left = deadline - time.monotonic()
                assert left > 0, "the webhook did not arrive"
                self.arrived.wait(left)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_a_proposal_assignment_reaches_the_assigned_units_partner_signed_within_a_second(
    stack: Stack, receiver: Receiver
) -> None:
    credentials = partner_credentials(stack)
    with gateway_client(stack) as gw:
        partner = {"Authorization": f"Bearer {partner_token(gw, credentials)}"}
        made = gw.post(
            "/api/v1/webhooks/endpoints",
            json={"url": receiver.url, "event_types": ["cppcc.proposal.assigned"], "description": "e2e"},
            headers=partner,
        )
        assert made.status_code == 201, made.text
        endpoint = made.json()
        assert endpoint["unit_id"] == credentials.unit_id

        # A member of the roster, not a demo account: the demo accounts' proposals are counted elsewhere.
        member = {"Authorization": f"Bearer {login(gw, '13800000003')}"}
        staff = auth_headers(gw, "staff_proposals")
        draft = gw.post(
            "/api/v1/proposals",
            json={
                "title": "关于完善公交线网的建议",
                "situation": "新建小区公交覆盖不足。",
                "suggestions": ["优化线路"],
                "cosigner_ids": [],
            },
            headers=member,
        )
        assert draft.status_code == 201, draft.text
        proposal_id = draft.json()["id"]
        for action, who in (("submit", member), ("file", staff)):
            assert gw.post(f"/api/v1/proposals/{proposal_id}/{action}", headers=who).status_code == 200
        sent = time.monotonic()
        assigned = gw.post(
            f"/api/v1/proposals/{proposal_id}/assignments",
            json={"lead_unit_id": credentials.unit_id},
            headers=staff,
        )
        assert assigned.status_code in (200, 201), assigned.text

        arrived, headers, body = receiver.first(lambda event: event["data"]["proposal_id"] == proposal_id)
        assert arrived - sent < 1.0, f"{arrived - sent:.3f} s"
        event = Webhook(endpoint["secret"]).verify(body, headers)
        assert event["type"] == "cppcc.proposal.assigned.v1"
        assert [u["unit_id"] for u in event["data"]["units"]] == [credentials.unit_id]

"""A joint proposal's whole life through the gateway, on a stack whose clock the test moves
(issue 9's end-to-end test): draft with a co-signer, submission, confirmation, filing,
assignment to the demo partner system's unit, which accepts, talks with the proposer and is
warned — the clock moved to each warning's day — then is overdue exactly once; it replies late,
one proposer is dissatisfied, the unit handles it again and replies a second time, the
proposers are satisfied, and the proposal is concluded; both proposers consent, the office
publishes it, and anyone reads it without signing in, with the phone number in its text removed.

Every process is real and reads the moved time from one file (`cppcc_common.clock.OffsetClock`,
`Stack.clock_file`): the scanners, the token checks and the rules all live in the moved time.
The events are counted on the bus itself (JetStream), the notices read in the office's inbox."""

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import nats
import pytest
from e2e_support import E2E_ENV, demo_stack, gateway_client, inbox_items
from standardwebhooks.webhooks import Webhook

from cppcc_common.clock import SHANGHAI, OffsetClock
from cppcc_common.events import CloudEvent
from cppcc_common.testing.events import events_on
from cppcc_common.testing.waiting import eventually_sync
from cppcc_devstack.demo import DEMO_ACCOUNTS, login, partner_credentials, partner_token
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e


class World:
    """The moved stack and its people, signed in anew after each move of the clock (a token is
    judged by the moved time too)."""

    def __init__(self, stack: Stack, clock: OffsetClock) -> None:
        self.stack = stack
        self.clock = clock
        self.client = gateway_client(stack)
        self._tokens: dict[str, str] = {}

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        if who not in self._tokens:
            if who == "partner":
                self._tokens[who] = partner_token(self.client, partner_credentials(self.stack))
            else:
                self._tokens[who] = login(self.client, DEMO_ACCOUNTS[who])
        return {"Authorization": f"Bearer {self._tokens[who]}", **extra}

    def move_to(self, when: datetime) -> None:
        """Moves every process's clock to `when` (from now on, as the wall clock runs)."""
        self.clock.move(when - self.clock.now())
        self._tokens.clear()

    def call(self, method: str, path: str, who: str, body: Any = None, expect: int = 200) -> Any:
        response = self.client.request(method, path, headers=self.headers(who), json=body)
        assert response.status_code == expect, (method, path, who, response.status_code, response.text)
        return response.json() if response.content else None

    def proposal(self, pid: str, who: str = "member") -> dict[str, Any]:
        return dict(self.call("GET", f"/api/v1/proposals/{pid}", who))

    def events(self, event_type: str, predicate: Callable[[CloudEvent], bool]) -> list[CloudEvent]:
        async def read() -> list[CloudEvent]:
            nc = await nats.connect(self.stack.nats_url)
            try:
                return await events_on(nc.jetstream(), event_type, predicate)
            finally:
                await nc.close()

        return asyncio.run(read())


@pytest.fixture(scope="module")
def world(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # The deadline scanners look often, so a moved clock's deadline fires within a second.
    env = {**E2E_ENV, "PROPOSAL_SCANNER_INTERVAL_SECONDS": "0.2"}
    with demo_stack(pg_server_url, tmp_path_factory.mktemp("lifecycle"), "lifecycle", env) as stack:
        world = World(stack, OffsetClock(stack.clock_file))
        yield world
        world.client.close()


def _wait(what: str, found: Callable[[], Any], timeout: float | None = None) -> Any:
    return eventually_sync(found, timeout, what, interval=0.2)


def _shanghai_midnight(day: date) -> datetime:
    return datetime.combine(day, day_time(0), SHANGHAI).astimezone(UTC)


def _of(pid: str) -> Callable[[CloudEvent], bool]:
    return lambda event: str(event.data.get("proposal_id")) == pid


def _inbox_categories(world: World, who: str, pid: str) -> list[str]:
    """The categories of `who`'s inbox items about `pid`, from every page."""
    return [i["category"] for i in inbox_items(world.call, who) if str(i.get("object_id")) == pid]


def test_a_joint_proposal_lives_from_draft_to_conclusion_with_a_partner_system_and_a_moved_clock(
    world: World,
) -> None:
    member_2 = world.call("GET", "/api/v1/me", "member_2")["id"]

    # Draft with a co-signer, submitted; the co-signer confirms (rule 4).
    draft = world.call(
        "POST",
        "/api/v1/proposals",
        "member",
        {
            "title": "关于加强中小学校园心理健康服务的建议",
            "situation": "中小学专职心理教师配备不足，学生心理问题发现和干预不及时。联系电话 13812345678。",
            "suggestions": ["按师生比配齐专职心理教师", "建立学校与医院的转介机制"],
            "cosigner_ids": [member_2],
        },
        expect=201,
    )
    pid = draft["id"]
    world.call("POST", f"/api/v1/proposals/{pid}/submit", "member")
    world.call("POST", f"/api/v1/proposals/{pid}/cosign", "member_2", {"answer": "confirm"})

    # The office files it (a number of its session) and assigns it to the partner system's unit.
    filed = world.call("POST", f"/api/v1/proposals/{pid}/file", "staff_proposals")
    assert filed["status"] == "filed" and filed["number"]
    unit_id = partner_credentials(world.stack).unit_id
    assigned = world.call(
        "POST",
        f"/api/v1/proposals/{pid}/assignments",
        "staff_proposals",
        {"lead_unit_id": unit_id},
        expect=201,
    )
    lead = assigned["assignments"][0]
    aid, due = lead["id"], date.fromisoformat(lead["reply_due_on"])
    steps = f"/api/v1/proposals/{pid}/assignments/{aid}"

    # The unit's own system accepts and records a visit, through the same API.
    world.call("POST", f"{steps}/accept", "partner")
    today = world.clock.now().astimezone(SHANGHAI).date().isoformat()
    world.call(
        "POST",
        f"{steps}/communications",
        "partner",
        {
            "kind": "visit",
            "communicated_on": today,
            "summary": "到学校与提案人座谈，听取心理健康服务的意见。",
        },
        expect=201,
    )
    assert world.proposal(pid)["status"] == "handling"

    # The clock moves to each warning's day: 15 and 3 days before the due day, one each (rule 12).
    for days in (15, 3):
        world.move_to(_shanghai_midnight(due - timedelta(days=days)) + timedelta(minutes=1))
        warned = _wait(
            f"due_soon {days}",
            lambda days=days: [
                e
                for e in world.events("cppcc.proposal.due_soon.v1", _of(pid))
                if e.data["days_before"] == days
            ],
        )
        assert len(warned) == 1

    # The due day itself is on time; from 00:00 the day after, overdue — once.
    world.move_to(_shanghai_midnight(due) + timedelta(hours=23, minutes=59))
    time.sleep(1.0)  # five scans of the moved clock
    assert world.events("cppcc.proposal.feedback_overdue.v1", _of(pid)) == []
    world.move_to(_shanghai_midnight(due + timedelta(days=1)) + timedelta(minutes=1))
    overdue = _wait("feedback_overdue", lambda: world.events("cppcc.proposal.feedback_overdue.v1", _of(pid)))
    world.move_to(_shanghai_midnight(due + timedelta(days=2)))
    time.sleep(1.0)  # more scans, a day later
    assert len(world.events("cppcc.proposal.feedback_overdue.v1", _of(pid))) == 1
    assert overdue[0].data["unit_id"] == unit_id
    assert overdue[0].data["first_proposer_id"] == world.call("GET", "/api/v1/me", "member")["id"]
    assert overdue[0].data["cosigner_ids"] == [member_2]
    # The office is told (notify-svc consumes the event).
    _wait(
        "the office's overdue notice",
        lambda: "proposal.feedback_overdue" in _inbox_categories(world, "staff_proposals", pid),
    )

    # The unit replies (late); the first proposer is dissatisfied, which re-opens handling (rule 17).
    reply = world.call(
        "POST",
        f"{steps}/replies",
        "partner",
        {
            "letter": "经研究，我局将在两个区试点配备专职心理教师。",
            "signed_by": "市教育局局长",
            "result_class": "C",
        },
        expect=201,
    )
    assert world.proposal(pid)["status"] == "replied"
    evaluations = f"/api/v1/proposals/{pid}/replies/{reply['id']}/evaluations"
    world.call(
        "POST", evaluations, "member", {"rating": "dissatisfied", "comment": "试点范围太小。"}, expect=201
    )
    assert world.proposal(pid)["status"] == "rehandling"
    # Events reach the stream after the commit (the relay publishes them): waited for, not read at once.
    _wait("rehandling_started", lambda: world.events("cppcc.proposal.rehandling_started.v1", _of(pid)))
    # A unit never rates (rule 16).
    world.call("POST", evaluations, "partner", {"rating": "satisfied"}, expect=403)

    # The second reply; both proposers rate it; the proposal is concluded.
    second = world.call(
        "POST",
        f"{steps}/replies",
        "partner",
        {
            "letter": "我局决定明年起全市中小学按师生比配齐专职心理教师。",
            "signed_by": "市教育局局长",
            "result_class": "A",
        },
        expect=201,
    )
    assert second["id"] != reply["id"]
    again = f"/api/v1/proposals/{pid}/replies/{second['id']}/evaluations"
    world.call("POST", again, "member", {"rating": "satisfied"}, expect=201)
    rated = world.call("POST", again, "member_2", {"rating": "basically_satisfied"}, expect=201)
    assert rated["proposal_status"] == "concluded"
    assert len(_wait("concluded", lambda: world.events("cppcc.proposal.concluded.v1", _of(pid)))) == 1

    # Publication (rule 20): not without every proposer's consent; then public, without a login.
    world.call("PUT", f"/api/v1/proposals/{pid}/publication/consent", "member", {"consent": True})
    world.call("POST", f"/api/v1/proposals/{pid}/publication", "staff_proposals", {}, expect=409)
    world.call("PUT", f"/api/v1/proposals/{pid}/publication/consent", "member_2", {"consent": True})
    world.call("POST", f"/api/v1/proposals/{pid}/publication", "staff_proposals", {}, expect=201)
    assert len(_wait("published", lambda: world.events("cppcc.proposal.published.v1", _of(pid)))) == 1
    public = world.client.get(f"/api/v1/proposals/published/{pid}")  # no token
    assert public.status_code == 200, public.text
    text = public.text
    assert "中小学专职心理教师配备不足" in text and "13812345678" not in text
    assert "我局决定明年起全市中小学按师生比配齐专职心理教师" in text

    # The proposers' timeline shows the way it went.
    actions = [
        step["action"] for step in world.call("GET", f"/api/v1/proposals/{pid}/timeline", "member")["items"]
    ]
    for action in ("submit", "file", "assign", "accept", "reply", "dissatisfied", "evaluate", "publish"):
        assert action in actions, (action, actions)


class MovedWebhook(Webhook):
    """The reference verifier (`standardwebhooks`), its timestamp tolerance judged against the
    stack's moved clock: the stack signs in its own (moved) time."""

    def __init__(self, secret: str, now: datetime) -> None:
        super().__init__(secret)
        self.now = now

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:  # noqa: N802 (the library's private name)
        timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        assert abs((timestamp - self.now).total_seconds()) < 300, (timestamp, self.now)
        return timestamp


class Receiver:
    """A partner system's real HTTP receiver on 127.0.0.1, keeping every POST it gets."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_an_overdue_key_proposal_reaches_the_unit_its_partner_system_the_office_and_the_supervising_leader(
    world: World,
) -> None:
    """Issue 10's end to end: the clock moved past a key proposal's reply due day, the overdue event
    (rule 12) reaches the unit's user, the proposals office and the supervising leader in their
    inboxes (urgent, so at 00:01 too), and the unit's partner system as a signed webhook."""
    receiver = Receiver()
    try:
        made = world.call(
            "POST",
            "/api/v1/webhooks/endpoints",
            "partner",
            {"url": receiver.url, "event_types": ["cppcc.proposal.feedback_overdue"], "description": "e2e"},
            expect=201,
        )
        pid = world.call(
            "POST",
            "/api/v1/proposals",
            "member",
            {
                "title": "关于推进社区嵌入式养老服务的建议",
                "situation": "社区养老服务设施不足，老年人就近照护需求难以满足。",
                "suggestions": ["利用闲置用房建设嵌入式养老服务站"],
                "cosigner_ids": [],
            },
            expect=201,
        )["id"]
        world.call("POST", f"/api/v1/proposals/{pid}/submit", "member")
        world.call("POST", f"/api/v1/proposals/{pid}/file", "staff_proposals")
        leader = world.call("GET", "/api/v1/me", "leader")["id"]
        today = world.clock.now().astimezone(SHANGHAI).date().isoformat()
        key = {"meeting": "市政协主席会议", "meeting_on": today, "supervisor_ids": [leader]}
        world.call("POST", f"/api/v1/proposals/{pid}/key", "staff_proposals", key)
        unit_id = partner_credentials(world.stack).unit_id
        assigned = world.call(
            "POST",
            f"/api/v1/proposals/{pid}/assignments",
            "staff_proposals",
            {"lead_unit_id": unit_id},
            expect=201,
        )
        due = date.fromisoformat(assigned["assignments"][0]["reply_due_on"])

        world.move_to(_shanghai_midnight(due + timedelta(days=1)) + timedelta(minutes=1))
        _wait("feedback_overdue", lambda: world.events("cppcc.proposal.feedback_overdue.v1", _of(pid)))
        for who in ("unit_user", "staff_proposals", "leader"):
            _wait(
                f"the overdue notice of {who}",
                lambda who=who: "proposal.feedback_overdue" in _inbox_categories(world, who, pid),
            )
        for who in ("member",):  # the proposers are not told of the unit's lateness (§6)
            assert "proposal.feedback_overdue" not in _inbox_categories(world, who, pid)

        headers, body = _wait(
            "the partner's webhook",
            lambda: next(
                (r for r in receiver.received if json.loads(r[1])["data"]["proposal_id"] == pid), None
            ),
        )
        event = MovedWebhook(made["secret"], world.clock.now()).verify(body, headers)
        assert event["type"] == "cppcc.proposal.feedback_overdue.v1" and event["data"]["unit_id"] == unit_id
        assert event["data"]["supervisor_ids"] == [leader]
    finally:
        receiver.server.shutdown()

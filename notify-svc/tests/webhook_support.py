"""Helpers of the webhook tests: real HTTP receivers, the reference verifier at the injected clock,
and events published to the real NATS."""

import asyncio
import base64
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import nats
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cppcc_common.clock import Clock
from cppcc_common.contracts.proposal import AssignedUnit, HandlingRole, ProposalAssignedV1
from cppcc_common.events import CloudEvent, make_event
from cppcc_common.testing.waiting import eventually as eventually  # the tests import it from here


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


class WebhookAt(Webhook):
    """The reference verifier (signatures exactly as `standardwebhooks` checks them), with the
    timestamp tolerance judged against the test's clock instead of the wall."""

    def __init__(self, secret: str, now: datetime) -> None:
        super().__init__(secret)
        self.now = now

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:  # noqa: N802 (the library's private name)
        timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        if abs((timestamp - self.now).total_seconds()) > 300:
            raise WebhookVerificationError("timestamp out of tolerance")
        return timestamp


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: datetime

    def verified_by(self, secret: str) -> Any:
        return WebhookAt(secret, self.at).verify(self.body, self.headers)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 answering each POST with the next scripted status."""

    clock: Clock
    statuses: list[int] = field(default_factory=lambda: [200])
    headers: dict[str, str] = field(default_factory=dict)
    gate: asyncio.Event | None = None
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read(), self.clock.now()))
        self.arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return web.Response(status=status, text=f"answer {status}", headers=self.headers)

    async def __aenter__(self) -> "Receiver":
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.gate is not None:
            self.gate.set()
        assert self._runner is not None
        await self._runner.cleanup()


def assigned(org: uuid.UUID, *units: uuid.UUID, title: str = "关于加装电梯的建议") -> CloudEvent:
    proposal_id = uuid.uuid4()
    return make_event(
        ProposalAssignedV1(
            proposal_id=proposal_id,
            org_id=org,
            title=title,
            first_proposer_id=uuid.uuid4(),
            units=[
                AssignedUnit(
                    assignment_id=uuid.uuid4(),
                    unit_id=u,
                    role=HandlingRole.LEAD if i == 0 else HandlingRole.COHANDLER,
                    reply_due_on=date(2026, 6, 1) if i == 0 else None,
                )
                for i, u in enumerate(units)
            ],
            reply_due_on=date(2026, 6, 1),
            is_key=False,
            assigned_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        ),
        source="/proposal-svc",
        subject=proposal_id,
        orgid=org,
    )


async def publish(nats_url: str, *events: CloudEvent) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for e in events:
        await js.publish(e.type, e.to_json(), headers={"Nats-Msg-Id": str(e.id)})
    await nc.close()

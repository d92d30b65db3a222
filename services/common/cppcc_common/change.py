"""The change context: what every state change needs, gathered once.

A route, a consumer and a scanner each get one `Change` the same way and pass it to the service:

- `unit`: the unit of work the change commits in (the request's, the delivery's, the scan's), and
  `session`, its ORM session (a request's is made on first use, on the unit's connection);
- `principal` / `actor`: who makes the change (None for the system: a consumer or a scanner);
- `now`: read once from the runtime's injectable clock — nothing else reads the wall time;
- `source`: the service's CloudEvents source (`/proposal-svc`);
- `traceparent`: the request's trace, or in a consumer the trace of the event being handled, so
  one trace id follows a change across services.

`await change.emit(data, subject=…, orgid=…)` wraps a typed payload in its CloudEvent envelope and
stages it in the transactional outbox; services never build an envelope by hand.

Routes take it as a dependency that also checks the route's permission:

    Drafting = Annotated[Change, Changing(DRAFT)]

    @router.post(...)
    async def submit(proposal_id: UUID, change: Drafting, ...) -> ...:
        proposal = await service.submit(change, proposal_id, expected)
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cppcc_common.auth import Permission, Principal
from cppcc_common.db import SessionUnit, Unit, UnitDep, session_scope
from cppcc_common.errors import Forbidden
from cppcc_common.events import CloudEvent, EventData, make_event
from cppcc_common.outbox import stage
from cppcc_common.tracing import continue_trace, new_traceparent, trace_id_of


class Change:
    """One state change in progress (see the module docstring)."""

    __slots__ = ("now", "principal", "source", "traceparent", "unit")

    def __init__(
        self,
        unit: Unit | AsyncSession,
        now: datetime,
        source: str,
        traceparent: str,
        principal: Principal | None = None,
    ) -> None:
        self.unit: Unit = unit if isinstance(unit, Unit) else SessionUnit(unit)
        self.now = now
        self.source = source
        self.traceparent = traceparent
        self.principal = principal

    @property
    def session(self) -> AsyncSession:
        """The ORM session of this change's unit of work (same transaction as the unit's statements)."""
        return self.unit.session

    @property
    def actor(self) -> UUID | None:
        return self.principal.sub if self.principal is not None else None

    @property
    def person(self) -> Principal:
        """Who makes the change, for actions only a principal can take (a route's `Changing`
        always has one); a system change has none: such an action is refused (403)."""
        if self.principal is None:
            raise Forbidden()
        return self.principal

    @property
    def trace_id(self) -> str | None:
        return trace_id_of(self.traceparent)

    async def emit(
        self, data: EventData, *, subject: UUID | str, orgid: UUID | None, actor: UUID | None = None
    ) -> CloudEvent:
        """Stages `data` as a CloudEvent in the outbox, in this change's transaction.

        `actor` defaults to the change's; the envelope carries a child span of the change's trace.
        """
        event = make_event(
            data,
            source=self.source,
            subject=subject,
            orgid=orgid,
            actorid=actor if actor is not None else self.actor,
            traceparent=new_traceparent(self.trace_id),
            time=self.now,
        )
        await stage(self.unit, event)
        return event

    def by(self, principal: Principal | None) -> "Change":
        """The same change made on behalf of another principal (e.g. a staff action for a member)."""
        return Change(self.unit, self.now, self.source, self.traceparent, principal)


def request_change(request: Request, unit: Unit, principal: Principal | None) -> Change:
    """The change a request makes: its unit of work, the runtime's clock and source, the request's trace."""
    runtime = request.app.state.runtime
    return Change(
        unit,
        now=runtime.clock.now(),
        source=runtime.settings.source,
        traceparent=continue_trace(getattr(request.state, "traceparent", None)),
        principal=principal,
    )


def Changing(permission: Permission | None) -> Any:  # noqa: N802 (reads like a type in Annotated[...])
    """A route dependency: checks `permission`, then gives the request's `Change` by its principal.

    `Changing(None)` is for the few public routes that change state (sign-in): no principal.
    """
    if permission is None:

        async def anonymous(request: Request, unit: UnitDep) -> Change:
            return request_change(request, unit, None)

        return Depends(anonymous)

    # The principal first: a request refused 401/403 never checks a connection out.
    async def change(
        request: Request, principal: Annotated[Principal, Depends(permission)], unit: UnitDep
    ) -> Change:
        return request_change(request, unit, principal)

    return Depends(change)


def system_change(
    session: Unit | AsyncSession, *, now: datetime, source: str, traceparent: str | None = None
) -> Change:
    """A change the system makes (a consumer, a scanner, a job, a command): no principal.

    It continues `traceparent` (the event being handled) or starts a new trace.
    """
    return Change(session, now=now, source=source, traceparent=continue_trace(traceparent))


@asynccontextmanager
async def system_change_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    source: str,
    traceparent: str | None = None,
) -> AsyncIterator[Change]:
    """One transaction as a system change: commits if the block succeeds, rolls back if it raises."""
    async with session_scope(sessionmaker) as session:
        yield system_change(session, now=now, source=source, traceparent=traceparent)

"""What the devices context reacts to: member-svc's end of sign-in sessions forgets their devices."""

import logging

from cppcc_common.change import Change
from cppcc_common.contracts.member import SessionsEndedV1
from cppcc_common.events import CloudEvent, EventData
from notify_svc.devices import repository

log = logging.getLogger("cppcc.devices")


async def on_sessions_ended(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """A sign-out forgets the devices registered in that session; a password changed or reset (every
    session ended) forgets all of the person's. Pushes already queued for them are cancelled when
    due (the worker finds no device). Idempotent: a redelivery finds nothing more to delete."""
    assert isinstance(data, SessionsEndedV1)
    removed = await repository.forget_sessions(
        change.session, data.person_id, data.session_ids, every_session=data.all_sessions
    )
    log.info(
        "devices of ended sessions forgotten",
        extra={"person": str(data.person_id), "reason": data.reason, "removed": removed},
    )


HANDLERS = {SessionsEndedV1.event_type: on_sessions_ended}

"""What proposal-svc learns from other services' events."""

from sqlalchemy.dialects.postgresql import insert

from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.contracts.member import (
    MemberRegisteredV1,
    MemberSnapshot,
    MemberStatusChangedV1,
    MemberUpdatedV1,
    PersonRegisteredV1,
    PlenarySessionScheduledV1,
)
from cppcc_common.events import CloudEvent, EventData
from proposal_svc.proposals import members
from proposal_svc.proposals.models import SessionWindowRow


async def on_plenary_session_scheduled(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps the session-proposal window used to derive a proposal's kind (rule 5) and the days the
    plenary sits, when sector and group proposals may be made (rule 3)."""
    assert isinstance(data, PlenarySessionScheduledV1)
    values = {
        "org_id": data.org_id,
        "opens_at": data.proposal_window_opens_at,
        "closes_at": data.proposal_deadline_at,
        "opens_on": data.opens_on,
        "closes_on": data.closes_on,
    }
    stmt = insert(SessionWindowRow).values(session_id=data.session_id, **values)
    await change.session.execute(
        stmt.on_conflict_do_update(index_elements=[SessionWindowRow.session_id], set_=values)
    )


async def on_member_changed(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps who is a member of which term, and in which status (rule 2)."""
    assert isinstance(data, MemberSnapshot)
    await members.keep(change.session, data)


async def on_person_registered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps who leads the organization (rule 19: a key proposal's supervisors)."""
    assert isinstance(data, PersonRegisteredV1)
    await members.keep_person(change.session, data)


CONSUMERS = [
    ConsumerSpec(
        name="proposal-org",
        stream="MEMBER",
        subjects=["cppcc.org.>"],
        handlers={PlenarySessionScheduledV1.event_type: on_plenary_session_scheduled},
    ),
    ConsumerSpec(
        name="proposal-members",
        stream="MEMBER",
        subjects=["cppcc.member.registered.v1", "cppcc.member.updated.v1", "cppcc.member.status_changed.v1"],
        handlers=dict.fromkeys(
            (MemberRegisteredV1.event_type, MemberUpdatedV1.event_type, MemberStatusChangedV1.event_type),
            on_member_changed,
        ),
    ),
    ConsumerSpec(
        name="proposal-people",
        stream="MEMBER",
        subjects=["cppcc.member.person_registered.v1"],
        handlers={PersonRegisteredV1.event_type: on_person_registered},
    ),
]

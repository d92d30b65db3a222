"""Event handlers: keep the recipients projection, and decide who is told what (DOMAIN.md §6)."""

from datetime import datetime

from cppcc_common.change import Change
from cppcc_common.clock import SHANGHAI
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.contracts.member import MemberExitReviewRequiredV1, PersonRegisteredV1
from cppcc_common.contracts.proposal import ProposalSubmittedV1
from cppcc_common.events import CloudEvent, EventData
from cppcc_common.ids import new_id
from notify_svc.inbox import repository
from notify_svc.inbox.templates import (
    EXIT_REVIEW_REQUIRED,
    PROPOSAL_SUBMITTED_OFFICE,
    PROPOSAL_SUBMITTED_RECEIPT,
    THRESHOLD_NAMES,
    Template,
)


async def on_person_registered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    assert isinstance(data, PersonRegisteredV1)
    await repository.upsert_recipient(
        change.session,
        {
            "person_id": data.person_id,
            "org_id": data.org_id,
            "name": data.name,
            "roles": data.roles,
            "scopes": data.scopes,
            "unit_id": data.unit_id,
            "updated_at": change.now,
        },
    )


def _item(
    envelope: CloudEvent,
    now: datetime,
    person_id: object,
    template: Template,
    object_type: str,
    **params: object,
) -> dict[str, object]:
    title, body = template.render(**params)
    return {
        "id": new_id(),
        "org_id": envelope.orgid,
        "person_id": person_id,
        "category": template.category,
        "title": title[:200],
        "body": body,
        "object_type": object_type,
        "object_id": envelope.subject,
        "source_event_id": envelope.id,
        "created_at": now,
    }


async def on_proposal_submitted(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Receipt to the first proposer; a review request to every proposals-office staff member."""
    assert isinstance(data, ProposalSubmittedV1)
    proposer = await repository.recipient(change.session, data.first_proposer_id)
    when = data.submitted_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    items = [
        _item(
            envelope,
            change.now,
            data.first_proposer_id,
            PROPOSAL_SUBMITTED_RECEIPT,
            "proposal",
            title=data.title,
            submitted_at=when,
        )
    ]
    office = await repository.recipients_with_scope(change.session, data.org_id, "staff", "proposals")
    items += [
        _item(
            envelope,
            change.now,
            staff.person_id,
            PROPOSAL_SUBMITTED_OFFICE,
            "proposal",
            title=data.title,
            proposer=proposer.name if proposer else "委员",
        )
        for staff in office
        if staff.person_id != data.first_proposer_id
    ]
    await repository.add_items(change.session, items)


async def on_exit_review_required(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Exit-review alerts go to the staff with the `members` scope (DOMAIN.md §6)."""
    assert isinstance(data, MemberExitReviewRequiredV1)
    staff = await repository.recipients_with_scope(change.session, data.org_id, "staff", "members")
    threshold = THRESHOLD_NAMES.get(data.threshold, data.threshold)
    items = [
        _item(
            envelope,
            change.now,
            s.person_id,
            EXIT_REVIEW_REQUIRED,
            "member",
            name=data.name,
            threshold=threshold,
            count=data.unexcused_absences,
        )
        for s in staff
    ]
    await repository.add_items(change.session, items)


CONSUMERS = [
    ConsumerSpec(
        name="notify-member",
        stream="MEMBER",
        subjects=["cppcc.member.>"],
        handlers={
            PersonRegisteredV1.event_type: on_person_registered,
            MemberExitReviewRequiredV1.event_type: on_exit_review_required,
        },
    ),
    ConsumerSpec(
        name="notify-proposal",
        stream="PROPOSAL",
        subjects=["cppcc.proposal.>"],
        handlers={ProposalSubmittedV1.event_type: on_proposal_submitted},
    ),
]

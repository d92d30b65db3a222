"""Event handlers: keep the recipients projection, and decide who is told what (DOMAIN.md §6)."""

from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID

from cppcc_common.change import Change
from cppcc_common.clock import SHANGHAI
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.contracts.member import MemberExitReviewRequiredV1, PersonRegisteredV1
from cppcc_common.contracts.proposal import (
    ProposalAssignedV1,
    ProposalCosignConfirmedV1,
    ProposalCosignDeclinedV1,
    ProposalCosignExpiredV1,
    ProposalCosignRequestedV1,
    ProposalDueSoonV1,
    ProposalFeedbackOverdueV1,
    ProposalFiledV1,
    ProposalHandledV1,
    ProposalKeyDesignatedV1,
    ProposalMergedV1,
    ProposalNotFiledV1,
    ProposalReturnedV1,
    ProposalSubmittedV1,
    ProposalWithdrawnV1,
)
from cppcc_common.events import CloudEvent, EventData
from cppcc_common.ids import new_id
from notify_svc.inbox import repository
from notify_svc.inbox.templates import (
    ASSIGNED_PROPOSER,
    ASSIGNED_UNIT,
    COSIGN_CONFIRMED,
    COSIGN_DECLINED,
    COSIGN_EXPIRED,
    COSIGN_REQUESTED,
    DISPOSITIONS,
    DUE_SOON,
    EXIT_REVIEW_REQUIRED,
    FEEDBACK_OVERDUE,
    HANDLING_ROLES,
    KEY_DESIGNATED_PROPOSER,
    KEY_DESIGNATED_SUPERVISOR,
    PROPOSAL_FILED,
    PROPOSAL_MERGED,
    PROPOSAL_NOT_FILED,
    PROPOSAL_RETURNED,
    PROPOSAL_SUBMITTED_OFFICE,
    PROPOSAL_SUBMITTED_RECEIPT,
    PROPOSAL_WITHDRAWN,
    REPLIED_PROPOSER,
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


# ---- the proposal lifecycle (issue 9): who is told what (DOMAIN.md §6) ---------------------------


def _shanghai(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(SHANGHAI).strftime(pattern)


async def _name(change: Change, person_id: UUID, fallback: str = "委员") -> str:
    known = await repository.recipient(change.session, person_id)
    return known.name if known else fallback


async def _tell(
    change: Change, envelope: CloudEvent, people: Iterable[UUID], template: Template, **params: object
) -> None:
    """One item of `template` to each person, once each, about the proposal the event is about."""
    items = [_item(envelope, change.now, p, template, "proposal", **params) for p in dict.fromkeys(people)]
    await repository.add_items(change.session, items)


async def on_cosign_requested(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 4: each invited co-signer is asked, with the deadline in Asia/Shanghai time."""
    assert isinstance(data, ProposalCosignRequestedV1)
    proposer = await _name(change, data.first_proposer_id)
    respond_by = _shanghai(data.respond_by)
    await _tell(
        change,
        envelope,
        data.invited_ids,
        COSIGN_REQUESTED,
        title=data.title,
        proposer=proposer,
        respond_by=respond_by,
    )


async def on_cosign_answered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """The first proposer learns each co-signer's answer, or that the invitation expired."""
    assert isinstance(data, ProposalCosignConfirmedV1 | ProposalCosignDeclinedV1 | ProposalCosignExpiredV1)
    cosigner = await _name(change, data.cosigner_id)
    if isinstance(data, ProposalCosignExpiredV1):
        template, params = COSIGN_EXPIRED, {"respond_by": _shanghai(data.respond_by)}
    else:
        template, params = (
            (COSIGN_CONFIRMED if isinstance(data, ProposalCosignConfirmedV1) else COSIGN_DECLINED),
            {},
        )
    await _tell(change, envelope, [data.first_proposer_id], template, cosigner=cosigner, **params)


async def on_withdrawn(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """The confirmed co-signers, and the proposals office (it was under their review), learn of a
    withdrawal; the first proposer made it."""
    assert isinstance(data, ProposalWithdrawnV1)
    people = [*data.cosigner_ids, *await _office(change, data.org_id)]
    reason = f"理由：{data.reason}" if data.reason else ""
    proposer = await _name(change, data.first_proposer_id)
    await _tell(
        change, envelope, people, PROPOSAL_WITHDRAWN, title=data.title, proposer=proposer, reason=reason
    )


async def on_returned(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Every proposer is told the office's note."""
    assert isinstance(data, ProposalReturnedV1)
    people = [data.first_proposer_id, *data.cosigner_ids]
    await _tell(change, envelope, people, PROPOSAL_RETURNED, title=data.title, note=data.note)


async def on_not_filed(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 6: every proposer is told the reason (and what becomes of the proposal, rule 7)."""
    assert isinstance(data, ProposalNotFiledV1)
    people = [data.first_proposer_id, *data.cosigner_ids]
    disposition = DISPOSITIONS.get(data.disposition.value, "")
    await _tell(
        change,
        envelope,
        people,
        PROPOSAL_NOT_FILED,
        title=data.title,
        reason=data.reason,
        disposition=disposition,
    )


async def on_merged(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 8: every proposer of both proposals is told (the merged one's are the filed one's now)."""
    assert isinstance(data, ProposalMergedV1)
    people = [*data.merged_proposer_ids, *data.proposer_ids]
    await _tell(change, envelope, people, PROPOSAL_MERGED, title=data.title, into_title=data.into_title)


async def on_filed(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Every proposer is told, with the number (第0123号) when the event carries it."""
    assert isinstance(data, ProposalFiledV1)
    people = [data.first_proposer_id, *data.cosigner_ids]
    number = f"，编号{data.number}" if data.number else ""
    when = _shanghai(data.filed_at)
    await _tell(change, envelope, people, PROPOSAL_FILED, title=data.title, filed_at=when, number=number)


async def on_key_designated(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 19: the proposers learn their proposal is key; each supervising leader, that they supervise it."""
    assert isinstance(data, ProposalKeyDesignatedV1)
    day, meeting = _shanghai(data.designated_at, "%Y-%m-%d"), data.meeting or "会议"
    proposers = [data.first_proposer_id, *data.cosigner_ids]
    await _tell(change, envelope, proposers, KEY_DESIGNATED_PROPOSER, designated_on=day, meeting=meeting)
    await _tell(
        change, envelope, data.supervisor_ids, KEY_DESIGNATED_SUPERVISOR, designated_on=day, meeting=meeting
    )


# ---- handling and deadlines (rules 9, 12, 15) ---------------------------------------------------


def _day(day: date) -> str:
    return day.isoformat()


async def _unit_people(change: Change, org_id: UUID, unit_ids: Iterable[UUID]) -> list[UUID]:
    return [r.person_id for r in await repository.recipients_of_units(change.session, org_id, list(unit_ids))]


async def _office(change: Change, org_id: UUID) -> list[UUID]:
    staff = await repository.recipients_with_scope(change.session, org_id, "staff", "proposals")
    return [s.person_id for s in staff]


async def on_assigned(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 9: each unit's people learn their part and its due date; the proposers, the earliest due date."""
    assert isinstance(data, ProposalAssignedV1)
    # Every assigned unit's people in one query, then each unit's told its own part.
    known = await repository.recipients_of_units(change.session, data.org_id, [u.unit_id for u in data.units])
    for unit in data.units:
        due = (
            f"请于 {_day(unit.reply_due_on)} 前答复"
            if unit.reply_due_on
            else f"请于 {_day(unit.views_due_on)} 前向主办单位提出会办意见"
            if unit.views_due_on
            else "请及时办理"
        )
        people = [r.person_id for r in known if r.unit_id == unit.unit_id]
        role = HANDLING_ROLES.get(str(unit.role), str(unit.role))
        await _tell(change, envelope, people, ASSIGNED_UNIT, title=data.title, role=role, due=due)
    proposers = [data.first_proposer_id, *data.cosigner_ids]
    await _tell(change, envelope, proposers, ASSIGNED_PROPOSER, title=data.title, due=_day(data.reply_due_on))


async def on_handled(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 15/16: every proposer learns of a unit's reply and is asked to evaluate it."""
    assert isinstance(data, ProposalHandledV1)
    proposers = [data.first_proposer_id, *data.cosigner_ids]
    await _tell(
        change, envelope, proposers, REPLIED_PROPOSER, title=data.title, result_class=data.result_class
    )


async def on_due_soon(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 12's warnings: the unit's people, the proposals office and a key proposal's supervisors."""
    assert isinstance(data, ProposalDueSoonV1)
    people = [
        *await _unit_people(change, data.org_id, [data.unit_id]),
        *await _office(change, data.org_id),
        *data.supervisor_ids,
    ]
    await _tell(
        change,
        envelope,
        people,
        DUE_SOON,
        title=data.title,
        due=_day(data.reply_due_on),
        days=data.days_before,
    )


async def on_feedback_overdue(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Rule 12: overdue — the proposals office, the unit's people and a key proposal's supervisors."""
    assert isinstance(data, ProposalFeedbackOverdueV1)
    people = [
        *await _office(change, data.org_id),
        *await _unit_people(change, data.org_id, [data.unit_id]),
        *data.supervisor_ids,
    ]
    await _tell(change, envelope, people, FEEDBACK_OVERDUE, title=data.title, due=_day(data.reply_due_on))


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
        handlers={
            ProposalSubmittedV1.event_type: on_proposal_submitted,
            ProposalCosignRequestedV1.event_type: on_cosign_requested,
            ProposalCosignConfirmedV1.event_type: on_cosign_answered,
            ProposalCosignDeclinedV1.event_type: on_cosign_answered,
            ProposalCosignExpiredV1.event_type: on_cosign_answered,
            ProposalWithdrawnV1.event_type: on_withdrawn,
            ProposalReturnedV1.event_type: on_returned,
            ProposalNotFiledV1.event_type: on_not_filed,
            ProposalMergedV1.event_type: on_merged,
            ProposalFiledV1.event_type: on_filed,
            ProposalKeyDesignatedV1.event_type: on_key_designated,
            ProposalAssignedV1.event_type: on_assigned,
            ProposalHandledV1.event_type: on_handled,
            ProposalDueSoonV1.event_type: on_due_soon,
            ProposalFeedbackOverdueV1.event_type: on_feedback_overdue,
        },
    ),
]

"""Who is told what (DOMAIN.md §6): one pure function from an event and notify-svc's projections to
the notices it makes. No I/O: the projections are read before it (`projections.load`), the
channels write after it (`channels.deliver`)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from cppcc_common.contracts.consultation import (
    ActivityCancelledV1,
    ActivityRescheduledV1,
    CheckinOpenedV1,
    FeedbackOverdueV1,
    LeaveApprovedV1,
    LeaveRefusedV1,
    LeaveRequestedV1,
    MaterialsPublishedV1,
    NoticeIssuedV1,
    OutcomeSubmittedV1,
    PlanPublishedV1,
    ReminderDueV1,
    TopicAcceptedV1,
    TopicDeclinedV1,
)
from cppcc_common.contracts.member import MemberExitReviewRequiredV1
from cppcc_common.contracts.notify import WebhookEndpointDisabledV1
from cppcc_common.contracts.proposal import (
    DeadlineFacts,
    ProposalAssignedV1,
    ProposalCohandlerViewsOverdueV1,
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
    ProposalPublicationWindowClosedV1,
    ProposalPublishedV1,
    ProposalReassignedV1,
    ProposalRehandlingStartedV1,
    ProposalReturnedV1,
    ProposalSubmittedV1,
    ProposalWithdrawnV1,
)
from cppcc_common.events import CloudEvent, EventData
from notify_svc.webhooks.domain import FAILING_LIMIT

DEFAULT_LOCALE = "zh"


class Urgency(StrEnum):
    """Urgent notices bypass quiet hours on the channels that keep them (push, SMS; issue 10)."""

    NORMAL = "normal"
    URGENT = "urgent"


@dataclass(frozen=True)
class Person:
    """One person as notify-svc's projection knows them (from member-svc's events)."""

    person_id: UUID
    org_id: UUID
    name: str
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    unit_id: UUID | None = None
    # The person's own choice (notify-svc's preferences); Chinese until they choose.
    locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class Projections:
    """What notify-svc knows of the people an event may concern (read once, before `notices`)."""

    people: Mapping[UUID, Person] = field(default_factory=dict)
    # The current members of the event's organization (member-svc's member records: active or on
    # leave, term covering the event's day), read only for an event told to them all (`READS`).
    members: frozenset[UUID] = frozenset()

    def name(self, person_id: UUID, fallback: str = "委员") -> str:
        known = self.people.get(person_id)
        return known.name if known else fallback

    def staff_with_scope(self, org_id: UUID, scope: str) -> list[UUID]:
        return [
            p.person_id
            for p in self.people.values()
            if p.org_id == org_id and "staff" in p.roles and scope in p.scopes
        ]

    def unit_people(self, org_id: UUID, unit_id: UUID) -> list[UUID]:
        """A handling unit's users (its partner system is told by webhook, issue 10)."""
        return [p.person_id for p in self.people.values() if p.org_id == org_id and p.unit_id == unit_id]

    def administrators(self, org_id: UUID) -> list[UUID]:
        return [p.person_id for p in self.people.values() if p.org_id == org_id and "admin" in p.roles]

    def locale(self, person_id: UUID) -> str:
        known = self.people.get(person_id)
        return known.locale if known else DEFAULT_LOCALE


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person: the channels render `template` with `params` in their locale."""

    recipient: UUID
    category: str
    template: str
    urgency: Urgency
    object_type: str
    object_id: UUID | None
    params: Mapping[str, Any]


# Categories policy marks urgent: push and SMS reach a person with them even in quiet hours (issue
# 10): the overdue feedback, and an activity's check-in opening (the member is on the way).
URGENT = frozenset({"proposal.feedback_overdue", "outcome.feedback_overdue", "activity.checkin_opened"})

Rule = Callable[[CloudEvent, Any, Projections], list[Notice]]


def notices(envelope: CloudEvent, data: EventData, projections: Projections) -> list[Notice]:
    """Every notice `data` makes, at most one per (recipient, category), in a stable order."""
    rule = RULES.get(type(data))
    if rule is None:
        return []
    seen: set[tuple[UUID, str]] = set()
    out: list[Notice] = []
    for n in rule(envelope, data, projections):
        if (n.recipient, n.category) not in seen:
            seen.add((n.recipient, n.category))
            out.append(n)
    return out


def _tell(
    people: Iterable[UUID],
    category: str,
    data: EventData,
    envelope: CloudEvent,
    *,
    object_type: str = "proposal",
    **extra: Any,
) -> list[Notice]:
    """A notice of `category` to each person; the template is the category's, its params the event's
    fields and `extra` (the names the projections resolve)."""
    params = {**data.model_dump(mode="python"), **extra}
    subject = _subject(envelope)
    urgency = Urgency.URGENT if category in URGENT else Urgency.NORMAL
    return [
        Notice(p, category, category, urgency, object_type, subject, params) for p in dict.fromkeys(people)
    ]


def _subject(envelope: CloudEvent) -> UUID | None:
    try:
        return UUID(envelope.subject)
    except ValueError:
        return None


def _proposers(data: Any) -> list[UUID]:
    return [data.first_proposer_id, *data.cosigner_ids]


def _office(data: Any, p: Projections) -> list[UUID]:
    return p.staff_with_scope(data.org_id, "proposals")


# ---- one rule per event type ---------------------------------------------------------------------


def _submitted(e: CloudEvent, d: ProposalSubmittedV1, p: Projections) -> list[Notice]:
    """A receipt to the first proposer; a review request to the proposals office."""
    office = [s for s in _office(d, p) if s != d.first_proposer_id]
    proposer = p.name(d.first_proposer_id)
    return [
        *_tell([d.first_proposer_id], "proposal.submitted", d, e),
        *_tell(office, "proposal.review_needed", d, e, proposer=proposer),
    ]


def _cosign_requested(e: CloudEvent, d: ProposalCosignRequestedV1, p: Projections) -> list[Notice]:
    """Rule 4: each invited co-signer is asked."""
    return _tell(d.invited_ids, "proposal.cosign_requested", d, e, proposer=p.name(d.first_proposer_id))


def _cosign_answered(
    category: str,
) -> Callable[[CloudEvent, Any, Projections], list[Notice]]:
    def rule(e: CloudEvent, d: Any, p: Projections) -> list[Notice]:
        """The first proposer learns each co-signer's answer, or that the invitation expired."""
        return _tell([d.first_proposer_id], category, d, e, cosigner=p.name(d.cosigner_id))

    return rule


def _withdrawn(e: CloudEvent, d: ProposalWithdrawnV1, p: Projections) -> list[Notice]:
    """The confirmed co-signers and the proposals office; the first proposer made it."""
    people = [*d.cosigner_ids, *_office(d, p)]
    return _tell(people, "proposal.withdrawn", d, e, proposer=p.name(d.first_proposer_id))


def _every_proposer(category: str) -> Callable[[CloudEvent, Any, Projections], list[Notice]]:
    def rule(e: CloudEvent, d: Any, p: Projections) -> list[Notice]:
        """Every proposer (filed, not filed, returned, handled)."""
        return _tell(_proposers(d), category, d, e)

    return rule


def _merged(e: CloudEvent, d: ProposalMergedV1, p: Projections) -> list[Notice]:
    """Rule 8: every proposer of both proposals."""
    return _tell([*d.merged_proposer_ids, *d.proposer_ids], "proposal.merged", d, e)


def _key_designated(e: CloudEvent, d: ProposalKeyDesignatedV1, p: Projections) -> list[Notice]:
    """Rule 19: the proposers, and each supervising leader."""
    return [
        *_tell(_proposers(d), "proposal.key_designated", d, e),
        *_tell(d.supervisor_ids, "proposal.key_supervision", d, e),
    ]


def _assigned(e: CloudEvent, d: ProposalAssignedV1, p: Projections) -> list[Notice]:
    """Rule 9: each unit's users learn their own part; the proposers, the earliest due date."""
    out: list[Notice] = []
    for unit in d.units:
        people = p.unit_people(d.org_id, unit.unit_id)
        out += _tell(people, "proposal.assigned_to_unit", d, e, unit=unit.model_dump(mode="python"))
    return out + _tell(_proposers(d), "proposal.assigned", d, e)


def _reassigned(e: CloudEvent, d: ProposalReassignedV1, p: Projections) -> list[Notice]:
    """Rule 10: the new unit's users learn their part; the previous unit's, that it left them."""
    return [
        *_tell(p.unit_people(d.org_id, d.unit.unit_id), "proposal.reassigned_to_unit", d, e),
        *_tell(p.unit_people(d.org_id, d.previous_unit_id), "proposal.reassigned_away", d, e),
    ]


def _deadline(category: str) -> Callable[[CloudEvent, Any, Projections], list[Notice]]:
    def rule(e: CloudEvent, d: DeadlineFacts, p: Projections) -> list[Notice]:
        """Rule 12: the unit's users, the proposals office and a key proposal's supervisors."""
        people = [*p.unit_people(d.org_id, d.unit_id), *_office(d, p), *d.supervisor_ids]
        return _tell(people, category, d, e)

    return rule


def _rehandling(e: CloudEvent, d: ProposalRehandlingStartedV1, p: Projections) -> list[Notice]:
    """Rule 17: a dissatisfied rating re-opens the unit's part: the unit and the proposals office."""
    people = [*p.unit_people(d.org_id, d.unit_id), *_office(d, p)]
    return _tell(people, "proposal.rehandling", d, e)


def _views_overdue(e: CloudEvent, d: ProposalCohandlerViewsOverdueV1, p: Projections) -> list[Notice]:
    """Rule 11: a co-handler's views are late: the co-handler's users, the lead unit's, the office."""
    lead = p.unit_people(d.org_id, d.lead_unit_id) if d.lead_unit_id else []
    people = [*p.unit_people(d.org_id, d.unit_id), *lead, *_office(d, p)]
    return _tell(people, "proposal.cohandler_views_overdue", d, e)


def _publication_window_closed(
    e: CloudEvent, d: ProposalPublicationWindowClosedV1, p: Projections
) -> list[Notice]:
    """Rule 20: the window to publish a reply closed unpublished: the proposals office."""
    return _tell(_office(d, p), "proposal.publication_window_closed", d, e)


def _leave(category: str) -> Callable[[CloudEvent, Any, Projections], list[Notice]]:
    def rule(e: CloudEvent, d: Any, p: Projections) -> list[Notice]:
        """The member who asked for leave learns the decision."""
        return _tell([d.person_id], category, d, e, object_type="activity")

    return rule


def _invitees(category: str) -> Callable[[CloudEvent, Any, Projections], list[Notice]]:
    def rule(e: CloudEvent, d: Any, p: Projections) -> list[Notice]:
        """Every invitee (members with an account; the office tells guests itself): the notice, the
        materials, the reminder the day before, check-in opening (urgent), a new time or place, a
        cancellation."""
        return _tell(d.invitee_ids, category, d, e, object_type="activity")

    return rule


def _leave_requested(e: CloudEvent, d: LeaveRequestedV1, p: Projections) -> list[Notice]:
    """(beyond §6) The consultation office decides leave (rule 24): its staff are asked."""
    office = p.staff_with_scope(d.org_id, "consultation")
    return _tell(office, "activity.leave_requested", d, e, object_type="activity", member=p.name(d.person_id))


def _outcome_sent(e: CloudEvent, d: OutcomeSubmittedV1, p: Projections) -> list[Notice]:
    """(beyond §6) The responsible department's users learn what is asked of them and by when (its
    partner system gets the event by webhook)."""
    unit = p.unit_people(d.org_id, d.unit_id) if d.unit_id else []
    return _tell(unit, "outcome.feedback_requested", d, e, object_type="outcome")


def _outcome_overdue(e: CloudEvent, d: FeedbackOverdueV1, p: Projections) -> list[Notice]:
    """Rule 22: the organizer and the responsible department (its users here, its partner system by
    webhook), and the consultation office, which follows every outcome up."""
    unit = p.unit_people(d.org_id, d.unit_id) if d.unit_id else []
    organizer = [d.organizer_person_id] if d.organizer_person_id else []
    office = p.staff_with_scope(d.org_id, "consultation")
    return _tell([*organizer, *unit, *office], "outcome.feedback_overdue", d, e, object_type="outcome")


def _plan_published(e: CloudEvent, d: PlanPublishedV1, p: Projections) -> list[Notice]:
    """(beyond §6) DOMAIN.md §4: the annual plan, and each new version of it, is published to the
    organization's members."""
    return _tell(
        sorted(p.members),
        "plan.published",
        d,
        e,
        object_type="plan",
        changed=len(d.added_entry_keys) + len(d.changed_entry_keys) + len(d.removed_entry_keys),
    )


def _topic_decided(category: str) -> Callable[[CloudEvent, Any, Projections], list[Notice]]:
    def rule(e: CloudEvent, d: Any, p: Projections) -> list[Notice]:
        """(beyond §6) The member who proposed the topic learns whether it went into the plan (staff
        record the others' topics: no proposer to tell)."""
        proposer = [d.proposer_id] if d.proposer_id else []
        return _tell(proposer, category, d, e, object_type="topic")

    return rule


def _exit_review(e: CloudEvent, d: MemberExitReviewRequiredV1, p: Projections) -> list[Notice]:
    """Exit-review alerts go to the staff with the `members` scope."""
    staff = p.staff_with_scope(d.org_id, "members")
    return _tell(staff, "member.exit_review_required", d, e, object_type="member")


def _endpoint_disabled(e: CloudEvent, d: WebhookEndpointDisabledV1, p: Projections) -> list[Notice]:
    """(beyond §6) notify-svc disabled a partner system's webhook endpoint (410, or failing for 5
    days, DESIGN.md §8): the organization's administrators, who manage every endpoint."""
    admins = p.administrators(d.org_id)
    return _tell(
        admins,
        "webhook.endpoint_disabled",
        d,
        e,
        object_type="webhook_endpoint",
        failing_days=FAILING_LIMIT.days,  # how long it failed before it was disabled
    )


RULES: dict[type[EventData], Rule] = {
    ProposalSubmittedV1: _submitted,
    ProposalCosignRequestedV1: _cosign_requested,
    ProposalCosignConfirmedV1: _cosign_answered("proposal.cosign_confirmed"),
    ProposalCosignDeclinedV1: _cosign_answered("proposal.cosign_declined"),
    ProposalCosignExpiredV1: _cosign_answered("proposal.cosign_expired"),
    ProposalWithdrawnV1: _withdrawn,
    ProposalReturnedV1: _every_proposer("proposal.returned"),
    ProposalNotFiledV1: _every_proposer("proposal.not_filed"),
    ProposalMergedV1: _merged,
    ProposalFiledV1: _every_proposer("proposal.filed"),
    ProposalKeyDesignatedV1: _key_designated,
    ProposalAssignedV1: _assigned,
    ProposalReassignedV1: _reassigned,
    ProposalHandledV1: _every_proposer("proposal.replied"),
    ProposalDueSoonV1: _deadline("proposal.due_soon"),
    ProposalFeedbackOverdueV1: _deadline("proposal.feedback_overdue"),
    ProposalRehandlingStartedV1: _rehandling,
    ProposalCohandlerViewsOverdueV1: _views_overdue,
    ProposalPublishedV1: _every_proposer("proposal.published"),
    ProposalPublicationWindowClosedV1: _publication_window_closed,
    LeaveApprovedV1: _leave("activity.leave_approved"),
    LeaveRefusedV1: _leave("activity.leave_refused"),
    LeaveRequestedV1: _leave_requested,
    NoticeIssuedV1: _invitees("activity.notice"),
    MaterialsPublishedV1: _invitees("activity.materials"),
    ActivityRescheduledV1: _invitees("activity.rescheduled"),
    ActivityCancelledV1: _invitees("activity.cancelled"),
    ReminderDueV1: _invitees("activity.reminder"),
    CheckinOpenedV1: _invitees("activity.checkin_opened"),
    PlanPublishedV1: _plan_published,
    TopicAcceptedV1: _topic_decided("topic.accepted"),
    TopicDeclinedV1: _topic_decided("topic.declined"),
    OutcomeSubmittedV1: _outcome_sent,
    FeedbackOverdueV1: _outcome_overdue,
    MemberExitReviewRequiredV1: _exit_review,
    WebhookEndpointDisabledV1: _endpoint_disabled,
}


@dataclass(frozen=True)
class Reads:
    """Whom a rule picks from the organization besides the people and units its event names, so
    that `projections.load` reads them for that event only: the holders of `role` (with `scope`,
    when given: an office is told by scope), or every current member (`members`)."""

    role: str | None = None
    scope: str | None = None
    members: bool = False


_PROPOSALS_OFFICE = Reads("staff", "proposals")
_CONSULTATION_OFFICE = Reads("staff", "consultation")

# Every rule that picks people by role, scope or membership; the others tell only whom their event
# names (people, units' users). `test_audience` proves each rule finds its people in what is read.
READS: dict[type[EventData], Reads] = {
    ProposalSubmittedV1: _PROPOSALS_OFFICE,
    ProposalWithdrawnV1: _PROPOSALS_OFFICE,
    ProposalDueSoonV1: _PROPOSALS_OFFICE,
    ProposalFeedbackOverdueV1: _PROPOSALS_OFFICE,
    ProposalRehandlingStartedV1: _PROPOSALS_OFFICE,
    ProposalCohandlerViewsOverdueV1: _PROPOSALS_OFFICE,
    ProposalPublicationWindowClosedV1: _PROPOSALS_OFFICE,
    LeaveRequestedV1: _CONSULTATION_OFFICE,
    FeedbackOverdueV1: _CONSULTATION_OFFICE,
    MemberExitReviewRequiredV1: Reads("staff", "members"),
    WebhookEndpointDisabledV1: Reads("admin"),
    PlanPublishedV1: Reads(members=True),
}

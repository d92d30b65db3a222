"""Events published by proposal-svc (stream PROPOSAL)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime

from cppcc_common.events import EventData, register


@register("cppcc.proposal.submitted.v1")
class ProposalSubmittedV1(EventData):
    """A member submitted a proposal: the proposals office is told, the proposer gets a receipt."""

    proposal_id: UUID
    org_id: UUID
    title: str
    kind: str
    first_proposer_id: UUID
    # Confirmed co-signers only (rule 4: the duty ledger splits points among them); those merely
    # invited are in `cosign_requested`, emitted beside this event.
    cosigner_ids: list[UUID] = []
    # An organization's proposal (rules 2, 3): its kind and name; the first proposer acts for it.
    author_kind: str = "member"
    author_name: str | None = None
    submitted_at: datetime
    version: int


@register("cppcc.proposal.filed.v1")
class ProposalFiledV1(EventData):
    """proposal-svc, when staff file (立案) a submitted proposal: every proposer is told."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    # Only co-signers who confirmed before the co-sign deadline (rule 4), in signing order.
    cosigner_ids: list[UUID] = []
    is_joint: bool
    filed_at: AwareDatetime
    version: int
    # Added within v1 (consumers ignore what they do not know): the human number, e.g. 第0123号,
    # and the series it counts in (session:<id> or year:<yyyy>).
    number: str | None = None
    filing_series: str | None = None


@register("cppcc.proposal.key_designated.v1")
class ProposalKeyDesignatedV1(EventData):
    """proposal-svc, when the leadership meeting designates a filed proposal a key proposal (rule 19)."""

    proposal_id: UUID
    org_id: UUID
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []  # confirmed co-signers, in signing order
    designated_at: AwareDatetime  # the date of the approving meeting
    supervisor_ids: list[UUID]
    version: int
    meeting: str | None = None  # added within v1: the approving meeting's name (e.g. 主席会议)


class AdoptionLevel(StrEnum):
    """The level of the body that adopted a public-opinion report, or of the leader who instructed."""

    COUNTY = "county"
    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    NATIONAL = "national"


class AdoptionMode(StrEnum):
    SINGLE = "single"  # 单篇采用
    COMBINED = "combined"  # 综合采用


@register("cppcc.opinion.submitted.v1")
class OpinionSubmittedV1(EventData):
    """proposal-svc, when a member submits a public-opinion report (社情民意信息)."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str
    submitted_at: AwareDatetime
    # Set when a not-filed proposal was converted into this report (rule 7).
    converted_from_proposal_id: UUID | None = None
    version: int


@register("cppcc.opinion.adopted.v1")
class OpinionAdoptedV1(EventData):
    """proposal-svc, when a report is adopted, and again whenever its highest level or instruction rises."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    # The highest so far (rule 27): consumers keep the best, so a late lower one changes nothing.
    adoption_level: AdoptionLevel
    adoption_mode: AdoptionMode
    instruction_level: AdoptionLevel | None = None  # the highest leader's written instruction (批示)
    adopted_at: AwareDatetime
    version: int


# ---- joint proposals, withdrawal (issue 9, the joint-proposal part) ----------------------------


@register("cppcc.proposal.cosign_requested.v1")
class ProposalCosignRequestedV1(EventData):
    """proposal-svc, on submission of a joint proposal: each invited co-signer is asked to confirm or
    decline before `respond_by` (rule 4); the office is told of the submission by `submitted`."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    invited_ids: list[UUID]  # in signing order
    respond_by: AwareDatetime  # an answer at or after this instant is refused
    version: int


@register("cppcc.proposal.cosign_confirmed.v1")
class ProposalCosignConfirmedV1(EventData):
    """proposal-svc, when an invited co-signer confirms before the deadline: from now a proposer."""

    proposal_id: UUID
    org_id: UUID
    first_proposer_id: UUID
    cosigner_id: UUID
    position: int  # signing order: 0 is the first proposer
    confirmed_at: AwareDatetime
    version: int
    # Issue 9, events helper (optional, so older events still parse): every confirmed co-signer
    # after this answer, in signing order, and when the proposal was submitted; the duty ledger
    # splits the submission's points among them again, in the submission's year (rule 23).
    cosigner_ids: list[UUID] = []
    submitted_at: AwareDatetime | None = None


@register("cppcc.proposal.cosign_declined.v1")
class ProposalCosignDeclinedV1(EventData):
    """proposal-svc, when an invited co-signer declines: never a proposer of this proposal."""

    proposal_id: UUID
    org_id: UUID
    first_proposer_id: UUID
    cosigner_id: UUID
    declined_at: AwareDatetime
    version: int


@register("cppcc.proposal.cosign_expired.v1")
class ProposalCosignExpiredV1(EventData):
    """proposal-svc's deadline scanner, once per invitation left unanswered at `respond_by`."""

    proposal_id: UUID
    org_id: UUID
    first_proposer_id: UUID
    cosigner_id: UUID
    respond_by: AwareDatetime


@register("cppcc.proposal.withdrawn.v1")
class ProposalWithdrawnV1(EventData):
    """proposal-svc, when the first proposer withdraws a proposal before it is assigned."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []  # confirmed co-signers, in signing order
    from_status: str  # submitted | filed
    reason: str | None = None
    withdrawn_at: AwareDatetime
    version: int


# --- Issue 9, review (审查立案): returned for revision, not filed, merged (h/review) ---


class NotFiledDisposition(StrEnum):
    """What becomes of a proposal that is not filed (rule 7)."""

    CONVERT_TO_OPINION = "convert_to_opinion"  # becomes a public-opinion report, keeping the link
    FORWARD_AS_LETTER = "forward_as_letter"  # forwarded to the competent body as a letter
    NONE = "none"


@register("cppcc.proposal.returned.v1")
class ProposalReturnedV1(EventData):
    """proposal-svc, when staff return a submitted proposal for revision: it is a draft again and
    its proposers are told the office's note."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []  # confirmed co-signers, in signing order
    note: str
    returned_at: AwareDatetime
    version: int


@register("cppcc.proposal.not_filed.v1")
class ProposalNotFiledV1(EventData):
    """proposal-svc, when staff decide not to file a proposal (rule 6): the proposers are told the
    reason; with `convert_to_opinion` the opinion-report consumer creates the report and links it
    (rule 7)."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []  # confirmed co-signers, in signing order
    reason: str  # one of the organization's refusal reasons
    disposition: NotFiledDisposition
    not_filed_at: AwareDatetime
    version: int


@register("cppcc.proposal.merged.v1")
class ProposalMergedV1(EventData):
    """proposal-svc, when staff merge a submitted proposal into a filed one (rule 8): every proposer
    of the merged proposal is now a proposer of the filed one, and gets its reply."""

    proposal_id: UUID  # the merged proposal (now `merged`)
    into_proposal_id: UUID  # the filed proposal it was merged into
    org_id: UUID
    title: str
    into_title: str
    merged_proposer_ids: list[UUID]  # the merged proposal's proposers, in signing order
    proposer_ids: list[UUID]  # every confirmed proposer of the filed proposal afterwards, in order
    merged_at: AwareDatetime
    version: int  # the merged proposal's version after the change


# --- issue 9, events helper: the organization's proposal policy, audited ---------------------------


@register("cppcc.proposal.policy_changed.v1")
class ProposalPolicyChangedV1(EventData):
    """proposal-svc, when an administrator changes the organization's proposal policy (PUT
    /api/v1/proposals/policy): the audit record. The envelope's actor is who, `changed_at` when;
    `before` and `after` hold the effective values (defaults included) of the names in `changed`."""

    org_id: UUID
    changed: list[str]  # the policy values that changed, by name
    before: dict[str, Any]
    after: dict[str, Any]
    changed_at: AwareDatetime


# --- issue 9, handling: assignment, reassignment, acceptance, co-handlers, communication, reply ------


class HandlingRole(StrEnum):
    """A unit's part in handling (rule 9): the lead unit (主办), a co-handler (会办), or one of the
    units of split handling (分办), each replying for its part."""

    LEAD = "lead"
    COHANDLER = "cohandler"
    SPLIT = "split"


class AssignedUnit(EventData):
    """One unit's assignment as the assignment events name it."""

    assignment_id: UUID
    unit_id: UUID
    role: HandlingRole
    reply_due_on: date | None  # lead and split units reply by this day (Asia/Shanghai); co-handlers don't
    views_due_on: date | None = None  # a co-handler sends its views to the lead unit by this day


@register("cppcc.proposal.assigned.v1")
class ProposalAssignedV1(EventData):
    """proposal-svc, when the proposals office assigns (交办) a filed proposal (rule 9): the units and
    every proposer are told; the due dates start."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []  # confirmed co-signers, in signing order
    units: list[AssignedUnit]
    reply_due_on: date  # the earliest reply due date of the assignment
    is_key: bool
    assigned_at: AwareDatetime


@register("cppcc.proposal.reassignment_requested.v1")
class ProposalReassignmentRequestedV1(EventData):
    """proposal-svc, when an assigned unit asks to be reassigned within the window (rule 10): the
    office decides."""

    proposal_id: UUID
    org_id: UUID
    assignment_id: UUID
    unit_id: UUID
    reason: str
    requested_at: AwareDatetime


@register("cppcc.proposal.reassigned.v1")
class ProposalReassignedV1(EventData):
    """proposal-svc, when the office reassigns a unit's part to another unit (rule 10): the old
    assignment is closed, the new one has its own due date."""

    proposal_id: UUID
    org_id: UUID
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    previous_assignment_id: UUID
    previous_unit_id: UUID
    unit: AssignedUnit
    is_key: bool
    reassigned_at: AwareDatetime


@register("cppcc.proposal.reassignment_refused.v1")
class ProposalReassignmentRefusedV1(EventData):
    """proposal-svc, when the office refuses a unit's reassignment request: the unit keeps its part."""

    proposal_id: UUID
    org_id: UUID
    assignment_id: UUID
    unit_id: UUID
    note: str | None = None
    refused_at: AwareDatetime


@register("cppcc.proposal.accepted.v1")
class ProposalAcceptedV1(EventData):
    """proposal-svc, when a lead or split unit accepts its assignment: the proposers are told."""

    proposal_id: UUID
    org_id: UUID
    assignment_id: UUID
    unit_id: UUID
    role: HandlingRole
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    accepted_at: AwareDatetime


@register("cppcc.proposal.cohandler_views_sent.v1")
class ProposalCohandlerViewsSentV1(EventData):
    """proposal-svc, when a co-handler sends its views to the lead unit (rule 11)."""

    proposal_id: UUID
    org_id: UUID
    assignment_id: UUID
    unit_id: UUID
    lead_unit_id: UUID | None
    sent_at: AwareDatetime


@register("cppcc.proposal.countersigned.v1")
class ProposalCountersignedV1(EventData):
    """proposal-svc, when a co-handler countersigns the lead unit's reply (rule 14)."""

    proposal_id: UUID
    org_id: UUID
    assignment_id: UUID
    unit_id: UUID
    countersigned_at: AwareDatetime


@register("cppcc.proposal.communication_recorded.v1")
class ProposalCommunicationRecordedV1(EventData):
    """proposal-svc, when a unit records a contact with the proposer (rule 13)."""

    proposal_id: UUID
    org_id: UUID
    assignment_id: UUID
    unit_id: UUID
    communication_id: UUID
    kind: str  # visit | meeting | phone | email
    communicated_on: date
    first_proposer_id: UUID
    recorded_at: AwareDatetime


@register("cppcc.proposal.handled.v1")
class ProposalHandledV1(EventData):
    """proposal-svc, when a unit submits its reply (答复, rule 15): every proposer is told and may rate
    it; `completed` says whether every required reply is in (the proposal is then `replied`)."""

    proposal_id: UUID
    org_id: UUID
    title: str
    reply_id: UUID
    assignment_id: UUID
    unit_id: UUID
    role: HandlingRole
    result_class: str
    signed_by: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    is_key: bool
    completed: bool
    replied_at: AwareDatetime


@register("cppcc.proposal.reply_class_corrected.v1")
class ProposalReplyClassCorrectedV1(EventData):
    """proposal-svc, when the office corrects a reply's result class (rule 15; audited)."""

    proposal_id: UUID
    org_id: UUID
    reply_id: UUID
    unit_id: UUID
    from_class: str
    to_class: str
    reason: str
    corrected_at: AwareDatetime


# --- issue 9, deadlines: reply due soon, feedback overdue, extensions (rule 12) -------------------


class DeadlineFacts(EventData):
    """What the deadline events carry for notify-svc and member-svc: who handles, for whom, by when."""

    proposal_id: UUID
    org_id: UUID
    title: str
    assignment_id: UUID
    unit_id: UUID
    role: HandlingRole
    reply_due_on: date  # the due day (Asia/Shanghai) the notice is about
    is_key: bool
    supervisor_ids: list[UUID] = []  # a key proposal's supervising leaders
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []


@register("cppcc.proposal.due_soon.v1")
class ProposalDueSoonV1(DeadlineFacts):
    """proposal-svc, `days_before` days before a lead or split unit's reply is due (policy
    `due_soon_days`, default 15 and 3), once per assignment, due date and warning: the unit, the
    proposals office and, for a key proposal, the supervising leaders are told."""

    days_before: int
    warned_at: AwareDatetime


@register("cppcc.proposal.feedback_overdue.v1")
class ProposalFeedbackOverdueV1(DeadlineFacts):
    """proposal-svc, when a lead or split unit has not replied by the end of its due day (rule 12):
    exactly once per assignment and due date. The proposals office and the unit's supervisors are told."""

    overdue_at: AwareDatetime


@register("cppcc.proposal.reply_due_extended.v1")
class ProposalReplyDueExtendedV1(EventData):
    """proposal-svc, when the office records an approved extension of a unit's reply due date (rule
    12): the warnings and the overdue are re-armed for the new date."""

    proposal_id: UUID
    org_id: UUID
    assignment_id: UUID
    unit_id: UUID
    extension_id: UUID
    from_due_on: date
    to_due_on: date
    approved_by: str
    approved_on: date
    reason: str
    extended_at: AwareDatetime


# --- issue 9, evaluation: the proposers' ratings, re-handling, completion reports, conclusion ------


@register("cppcc.proposal.evaluated.v1")
class ProposalEvaluatedV1(EventData):
    """proposal-svc, when a proposer rates a reply (rule 16): the rating code of the organization's
    `evaluations` (`dissatisfied` opens re-handling, rule 17)."""

    proposal_id: UUID
    org_id: UUID
    evaluation_id: UUID
    reply_id: UUID
    assignment_id: UUID
    unit_id: UUID
    proposer_id: UUID
    rating: str
    evaluated_at: AwareDatetime


@register("cppcc.proposal.rehandling_started.v1")
class ProposalRehandlingStartedV1(EventData):
    """proposal-svc, when a dissatisfied rating re-opens a unit's assignment for a second reply
    (rule 17), due on `reply_due_on`."""

    proposal_id: UUID
    org_id: UUID
    reply_id: UUID
    assignment_id: UUID
    unit_id: UUID
    proposer_id: UUID
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    reply_due_on: date
    is_key: bool
    started_at: AwareDatetime


@register("cppcc.proposal.completion_reported.v1")
class ProposalCompletionReportedV1(EventData):
    """proposal-svc, when a unit files the completion report of an open-class (B) reply (rule 18)."""

    proposal_id: UUID
    org_id: UUID
    report_id: UUID
    reply_id: UUID
    assignment_id: UUID
    unit_id: UUID
    completed_on: date
    first_proposer_id: UUID
    reported_at: AwareDatetime


@register("cppcc.proposal.concluded.v1")
class ProposalConcludedV1(EventData):
    """proposal-svc, when a proposal is concluded (办结): every proposer rated every current reply
    without dissatisfaction, and every open-class reply has its completion report (rules 16–18)."""

    proposal_id: UUID
    org_id: UUID
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    unit_ids: list[UUID] = []
    ratings: dict[str, int] = {}  # rating code -> how many ratings of the current replies
    is_key: bool
    concluded_at: AwareDatetime


# --- issue 9, gaps: a co-handler's views overdue (rule 11) ----------------------------------------


@register("cppcc.proposal.cohandler_views_overdue.v1")
class ProposalCohandlerViewsOverdueV1(EventData):
    """proposal-svc, when a co-handler has not sent its views to the lead unit by the end of its
    views due day (rule 11): exactly once per co-handler assignment and due date. The lead unit and
    the proposals office are told."""

    proposal_id: UUID
    org_id: UUID
    title: str
    assignment_id: UUID
    unit_id: UUID  # the co-handler
    lead_unit_id: UUID | None
    views_due_on: date
    is_key: bool
    overdue_at: AwareDatetime


# --- issue 9, publication (rule 20) ------------------------------------------------------------


@register("cppcc.proposal.published.v1")
class ProposalPublishedV1(EventData):
    """proposal-svc, when the office publishes a replied proposal and its replies (rule 20): every
    proposer who counts consented, within the window; the public copy has its contact details removed."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    reply_ids: list[UUID] = []
    published_at: AwareDatetime


@register("cppcc.proposal.publication_window_closed.v1")
class ProposalPublicationWindowClosedV1(EventData):
    """proposal-svc's deadline scanner, once, when a replied proposal's publication window closed
    without its publication (rule 20): the proposals office is told."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    due_on: date  # the window's last working day (Asia/Shanghai)
    consented: bool  # whether every proposer who counts had consented
    closed_at: AwareDatetime


# --- issue 12, public-opinion reports (社情民意信息, DOMAIN.md §3, rules 7, 27) ----------------------
# `cppcc.opinion.submitted.v1` and `cppcc.opinion.adopted.v1` (above) are what the duty ledger
# scores; these tell the author (and the office) what became of the report.


class OpinionRecipientKind(StrEnum):
    """Where the office forwards (报送) an adopted report."""

    NATIONAL_CPPCC = "national_cppcc"  # 全国政协
    PROVINCIAL_CPPCC = "provincial_cppcc"  # 省政协
    PARTY_COMMITTEE = "party_committee"  # 市委
    GOVERNMENT = "government"  # 市政府
    DEPARTMENT = "department"  # 有关部门 (named)


@register("cppcc.opinion.withdrawn.v1")
class OpinionWithdrawnV1(EventData):
    """proposal-svc, when the author withdraws a submitted report before the office reviewed it."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str
    withdrawn_at: AwareDatetime
    version: int


@register("cppcc.opinion.edited.v1")
class OpinionEditedV1(EventData):
    """proposal-svc, when the office edits a report's title, analysis or suggestion: the author sees
    the edited text and the edit in the report's history."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str  # as edited
    fields: list[str]  # which of title | analysis | suggestion changed
    edited_at: AwareDatetime
    version: int


@register("cppcc.opinion.not_adopted.v1")
class OpinionNotAdoptedV1(EventData):
    """proposal-svc, when the office decides not to adopt a report; the author is told the reason."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str
    reason: str
    decided_at: AwareDatetime
    version: int


@register("cppcc.opinion.forwarded.v1")
class OpinionForwardedV1(EventData):
    """proposal-svc, when the office forwards (报送) an adopted report to its recipients."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str
    recipient_kinds: list[OpinionRecipientKind]
    recipient_names: list[str]  # in the order of `recipient_kinds`
    forwarded_at: AwareDatetime
    version: int


@register("cppcc.opinion.instructed.v1")
class OpinionInstructedV1(EventData):
    """proposal-svc, when the office records a leader's written instruction (批示) on a report; the
    duty ledger reads the highest instruction from `cppcc.opinion.adopted.v1` (rule 27)."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str
    level: AdoptionLevel
    leader: str
    instructed_on: date
    version: int


@register("cppcc.opinion.feedback_recorded.v1")
class OpinionFeedbackRecordedV1(EventData):
    """proposal-svc, when the office records the feedback (反馈) on a report from where it went."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str
    source: str
    received_on: date
    version: int


@register("cppcc.opinion.policy_changed.v1")
class OpinionPolicyChangedV1(EventData):
    """proposal-svc, when an administrator changes the organization's public-opinion report values
    (PUT /api/v1/opinions/policy): the audit record, as `cppcc.proposal.policy_changed.v1`."""

    org_id: UUID
    changed: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    changed_at: AwareDatetime

"""The proposal state machine and its rules as data plus pure functions (no framework, no I/O).

`LIFECYCLE` is the machine (DOMAIN.md §2). Each action checks it, applies the rules of DOMAIN.md §7
it touches, and returns a `Decision` (the new status, the fields to set, the events); the one
transition function in `service.py` persists it, writes the history row, bumps the version and
emits the events.
"""

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.proposal import (
    NotFiledDisposition,
    ProposalCosignConfirmedV1,
    ProposalCosignDeclinedV1,
    ProposalCosignExpiredV1,
    ProposalCosignRequestedV1,
    ProposalFiledV1,
    ProposalKeyDesignatedV1,
    ProposalMergedV1,
    ProposalNotFiledV1,
    ProposalReturnedV1,
    ProposalSubmittedV1,
    ProposalWithdrawnV1,
)
from cppcc_common.transitions import Decision, TransitionTable
from proposal_svc.proposals.errors import (
    CosignDeadlinePassed,
    CosignersInvalid,
    CosignInvalidTransition,
    MeetingInTheFuture,
    MeetingRequired,
    MergeTargetNotFiled,
    NoteRequired,
    PlenaryNotInSession,
    ProposalAlreadyKey,
    ProposalIncomplete,
    ProposalInvalidTransition,
    SealRequired,
    SupervisorNotALeader,
    UnknownRefusalReason,
    WithdrawReasonRequired,
)
from proposal_svc.proposals.policy import ProposalPolicy


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    FILED = "filed"
    NOT_FILED = "not_filed"
    MERGED = "merged"
    ASSIGNED = "assigned"
    HANDLING = "handling"
    REPLIED = "replied"
    REHANDLING = "rehandling"
    CONCLUDED = "concluded"
    WITHDRAWN = "withdrawn"
    DELETED = "deleted"  # a draft its proposer deleted: kept as a tombstone that nobody reads


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    RETURN = "return"
    FILE = "file"
    NOT_FILE = "not_file"
    MERGE = "merge"
    WITHDRAW = "withdraw"
    ASSIGN = "assign"
    ACCEPT = "accept"
    REPLY = "reply"
    EVALUATE = "evaluate"
    DISSATISFIED = "dissatisfied"
    DELETE = "delete"
    CONFIRM_COSIGN = "cosign_confirm"
    DECLINE_COSIGN = "cosign_decline"
    DESIGNATE_KEY = "designate_key"
    REPORT_COMPLETION = "report_completion"  # a unit's completion report concludes (rule 18)
    CONCLUDE = "conclude"  # the last evaluation window closed: silence is no objection (rules 16, 18)
    CONSENT = "publication_consent"  # a proposer gives or refuses consent to publish (rule 20)
    PUBLISH = "publish"  # the office publishes the proposal and its replies (rule 20)
    UNPUBLISH = "unpublish"  # the office withdraws a publication, with a reason
    CONVERT_TO_OPINION = "convert_to_opinion"  # rule 7: a not-filed proposal becomes a report


# Filed (立案) and every later stage. Such a proposal may be designated a key proposal (rule 19; it
# keeps its status), and the statistics count it as filed.
FILED_STAGE = (
    Status.FILED,
    Status.ASSIGNED,
    Status.HANDLING,
    Status.REPLIED,
    Status.REHANDLING,
    Status.CONCLUDED,
)

# A proposal that may still be published someday: consent to it may be given or refused (rule 20).
_CONSENT_STATUSES = (Status.DRAFT, Status.SUBMITTED, *FILED_STAGE)


# (from status, action) -> to status: the lifecycle of DOMAIN.md §2. Editing is an action too, so
# that "only a draft may be edited" is this table's answer, not a check beside it.
LIFECYCLE: TransitionTable[Status, Action] = TransitionTable(
    {
        (Status.DRAFT, Action.EDIT): Status.DRAFT,
        (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
        (Status.SUBMITTED, Action.RETURN): Status.DRAFT,
        (Status.SUBMITTED, Action.FILE): Status.FILED,
        (Status.SUBMITTED, Action.NOT_FILE): Status.NOT_FILED,
        # Rule 7: converted afterwards into a public-opinion report (the opinions context creates it).
        (Status.NOT_FILED, Action.CONVERT_TO_OPINION): Status.NOT_FILED,
        (Status.SUBMITTED, Action.MERGE): Status.MERGED,
        (Status.SUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
        (Status.FILED, Action.WITHDRAW): Status.WITHDRAWN,
        (Status.FILED, Action.ASSIGN): Status.ASSIGNED,
        (Status.ASSIGNED, Action.ACCEPT): Status.HANDLING,
        (Status.HANDLING, Action.REPLY): Status.REPLIED,
        (Status.REHANDLING, Action.REPLY): Status.REPLIED,
        (Status.REPLIED, Action.EVALUATE): Status.CONCLUDED,
        (Status.REPLIED, Action.DISSATISFIED): Status.REHANDLING,
        (Status.REPLIED, Action.REPORT_COMPLETION): Status.CONCLUDED,
        (Status.REPLIED, Action.CONCLUDE): Status.CONCLUDED,
        (Status.DRAFT, Action.DELETE): Status.DELETED,
        # Co-signers answer while the proposal is under review (rule 4; the deadline is their own).
        (Status.SUBMITTED, Action.CONFIRM_COSIGN): Status.SUBMITTED,
        (Status.SUBMITTED, Action.DECLINE_COSIGN): Status.SUBMITTED,
        **{(status, Action.DESIGNATE_KEY): status for status in FILED_STAGE},
        # Rule 20: consent is given (or refused) from the draft on, until published; the office
        # publishes a replied or concluded proposal (the publication context checks the rest).
        **{(status, Action.CONSENT): status for status in _CONSENT_STATUSES},
        (Status.REPLIED, Action.PUBLISH): Status.REPLIED,
        (Status.CONCLUDED, Action.PUBLISH): Status.CONCLUDED,
        **{
            (status, Action.UNPUBLISH): status
            for status in (Status.REPLIED, Status.REHANDLING, Status.CONCLUDED)
        },
    },
    error=ProposalInvalidTransition,
)

# What the first proposer may do to their own proposal.
PROPOSER_ACTIONS = frozenset({Action.EDIT, Action.SUBMIT, Action.WITHDRAW, Action.DELETE})
# What an invited co-signer may do (the invitation's own table says whether it is still open).
COSIGNER_ACTIONS = frozenset({Action.CONFIRM_COSIGN, Action.DECLINE_COSIGN})
# What the proposals office (staff with the `proposals` scope) does: review, key designation and
# assignment (交办, rule 9; the handling context decides it).
OFFICE_ACTIONS = frozenset(
    {
        Action.RETURN,
        Action.FILE,
        Action.NOT_FILE,
        Action.MERGE,
        Action.DESIGNATE_KEY,
        Action.ASSIGN,
        Action.PUBLISH,
        Action.UNPUBLISH,
    }
)
# What a handling unit (its users, its partner client) does to a proposal assigned to it; the
# handling context checks which of its assignments may (rules 9, 11).
UNIT_ACTIONS = frozenset({Action.ACCEPT, Action.REPLY, Action.REPORT_COMPLETION})
# What a proposer does to a replied proposal: rate the reply (rules 16, 17). The evaluation context
# first checks that the caller is a proposer who counts (the first or a confirmed co-signer).
EVALUATOR_ACTIONS = frozenset({Action.EVALUATE, Action.DISSATISFIED})
# What each proposer who counts does for themself: consent to publication (rule 20; the
# publication context checks the caller counts).
CONSENTING_ACTIONS = frozenset({Action.CONSENT})
# The proposal's moves that the handling, evaluation and publication contexts decide
# (proposals.service.handle).
HANDLING_ACTIONS = frozenset(
    {
        Action.ASSIGN,
        Action.ACCEPT,
        Action.REPLY,
        *EVALUATOR_ACTIONS,
        Action.REPORT_COMPLETION,
        *CONSENTING_ACTIONS,
        Action.PUBLISH,
        Action.UNPUBLISH,
    }
)
# Rule 7: the office converts a not-filed proposal into a public-opinion report, or the first
# proposer asks for it (the opinions context creates the report).
CONVERTING_ACTIONS = frozenset({Action.CONVERT_TO_OPINION})
# The proposal's moves that a deadline scanner makes, with no principal (proposals.service.handle_due).
SYSTEM_ACTIONS = frozenset({Action.CONCLUDE})


def may_act(
    action: Action,
    *,
    actor: UUID | None,
    first_proposer_id: UUID,
    cosigner_ids: Collection[UUID] = (),
    office: bool = False,
    unit: bool = False,
) -> bool:
    """Who may take `action` on a proposal they can see (else 403): the first proposer their own
    actions, a co-signer named on the proposal the answers to their invitation, the proposals
    office its own, a unit the proposal is assigned to its own."""
    if action in OFFICE_ACTIONS:
        return office
    if action in CONVERTING_ACTIONS:  # rule 7: by the office, or at the first proposer's request
        return office or (actor is not None and actor == first_proposer_id)
    if action in UNIT_ACTIONS:
        return unit
    if action in COSIGNER_ACTIONS:
        return actor is not None and actor in cosigner_ids
    if action in EVALUATOR_ACTIONS or action in CONSENTING_ACTIONS:
        return actor is not None and (actor == first_proposer_id or actor in cosigner_ids)
    return action in PROPOSER_ACTIONS and actor == first_proposer_id


class Role(StrEnum):
    FIRST = "first"
    COSIGNER = "cosigner"


class InvitationStatus(StrEnum):
    """A proposer's standing: the first proposer is confirmed from the start; a co-signer is
    invited (named on the draft, asked on submission) until they answer or the deadline passes."""

    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"


class InvitationAction(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    EXPIRE = "expire"


# A co-signer's invitation (rule 4): answered once, or expired by the scanner at `respond_by`.
INVITATIONS: TransitionTable[InvitationStatus, InvitationAction] = TransitionTable(
    {
        (InvitationStatus.INVITED, InvitationAction.CONFIRM): InvitationStatus.CONFIRMED,
        (InvitationStatus.INVITED, InvitationAction.DECLINE): InvitationStatus.DECLINED,
        (InvitationStatus.INVITED, InvitationAction.EXPIRE): InvitationStatus.EXPIRED,
    },
    error=CosignInvalidTransition,
)

# A decision's change of the proposers (the whole list, in signing order), applied row by row.
PROPOSERS = "proposers"


@dataclass(frozen=True)
class Proposer:
    """A proposer of a proposal as the rules read it (a row of `proposal_proposers`)."""

    person_id: UUID
    role: Role
    position: int  # signing order: 0 is the first proposer
    status: InvitationStatus
    invited_at: datetime | None = None
    respond_by: datetime | None = None
    responded_at: datetime | None = None
    merged_from_id: UUID | None = None


def first_proposer(person_id: UUID, now: datetime) -> Proposer:
    return Proposer(person_id, Role.FIRST, 0, InvitationStatus.CONFIRMED, responded_at=now)


def confirmed_cosigner_ids(proposers: Sequence[Proposer]) -> list[UUID]:
    """Rule 4: the co-signers who count, in signing order — those who confirmed (which is only
    possible before their deadline, see `answer_cosign`)."""
    confirmed = [p for p in proposers if p.role == Role.COSIGNER and p.status == InvitationStatus.CONFIRMED]
    return [p.person_id for p in sorted(confirmed, key=lambda p: p.position)]


def name_cosigners(
    first_proposer_id: UUID,
    current: Sequence[Proposer],
    cosigner_ids: Sequence[UUID],
    policy: ProposalPolicy,
    *,
    members: Collection[UUID],
) -> tuple[Proposer, ...]:
    """The proposers after the first proposer names `cosigner_ids` on a draft (rule 4): current
    members of the organization (`members`), at most the policy's number, neither the first
    proposer nor anyone twice; the first proposer stays first, the others sign in the given order.
    A co-signer named again keeps a confirmation; one who declined or let it expire is asked again."""
    problems: list[tuple[str, str]] = []
    if len(cosigner_ids) > policy.max_cosigners:
        problems.append(("cosigner_ids", "too_many_cosigners"))
    seen = Counter(cosigner_ids)
    for n, person in enumerate(cosigner_ids):
        if person == first_proposer_id:
            problems.append((f"cosigner_ids.{n}", "first_proposer_cannot_cosign"))
        elif seen[person] > 1 and cosigner_ids.index(person) != n:
            problems.append((f"cosigner_ids.{n}", "duplicate_cosigner"))
        elif person not in members:
            problems.append((f"cosigner_ids.{n}", "cosigner_not_a_current_member"))
    if problems:
        raise CosignersInvalid.listing(problems, policy.model_dump())
    kept = {p.person_id: p for p in current if p.role == Role.COSIGNER}
    first = [p for p in current if p.role == Role.FIRST]
    named = []
    for position, person in enumerate(cosigner_ids, start=1):
        before = kept.get(person)
        if before is not None and before.status == InvitationStatus.CONFIRMED:
            named.append(replace(before, position=position))
        else:
            named.append(Proposer(person, Role.COSIGNER, position, InvitationStatus.INVITED))
    return (*first, *named)


@dataclass(frozen=True)
class Content:
    title: str
    situation: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class RuleViolation:
    field: str
    code: str


def content_violations(content: Content, policy: ProposalPolicy, *, complete: bool) -> list[RuleViolation]:
    """Rule 1: title, situation/analysis and at least one suggestion, within the policy limits.

    `complete=False` (a draft) checks only the limits; `complete=True` (submission) also
    requires every part to be present.
    """
    problems: list[RuleViolation] = []
    title = content.title.strip()
    suggestions = [s for s in content.suggestions if s.strip()]
    if len(title) > policy.title_max_chars:
        problems.append(RuleViolation("title", "title_too_long"))
    body_chars = len(content.situation) + sum(len(s) for s in content.suggestions)
    if body_chars > policy.body_max_chars:
        problems.append(RuleViolation("situation", "body_too_long"))
    if len(content.suggestions) > policy.max_suggestions:
        problems.append(RuleViolation("suggestions", "too_many_suggestions"))
    if complete:
        if not title:
            problems.append(RuleViolation("title", "title_required"))
        if not content.situation.strip():
            problems.append(RuleViolation("situation", "situation_required"))
        if len(suggestions) < policy.min_suggestions:
            problems.append(RuleViolation("suggestions", "suggestion_required"))
    return problems


class Kind(StrEnum):
    SESSION = "session"
    ORDINARY = "ordinary"


@dataclass(frozen=True)
class SessionWindow:
    """From (by default) 3 months before a plenary opens until its proposal deadline."""

    opens_at: datetime
    closes_at: datetime


def derive_kind(submitted_at: datetime, windows: list[SessionWindow]) -> Kind:
    """Rule 5: a session proposal if submitted inside a session window, otherwise ordinary."""
    inside = any(w.opens_at <= submitted_at <= w.closes_at for w in windows)
    return Kind.SESSION if inside else Kind.ORDINARY


class AuthorKind(StrEnum):
    """Who proposes (DOMAIN.md §2): a member, or an organization named by `author_name`.

    An organization's proposal is drafted and submitted by a current member acting for it (its
    first proposer): rule 2 asks a member of the current term to submit, rule 28 shows a draft to its
    first proposer only, and the office's staff review proposals rather than author them. That the
    member may speak for the organization is what the seal or signature attachment attests (rule 2),
    and the office checks it when reviewing.
    """

    MEMBER = "member"
    PARTY_GROUP = "party_group"  # 党派
    PEOPLES_ORGANIZATION = "peoples_organization"  # 人民团体
    SPECIAL_COMMITTEE = "special_committee"  # 专门委员会
    SECTOR = "sector"  # 界别 (rule 3)
    GROUP = "group"  # 小组 (rule 3)

    @property
    def is_organization(self) -> bool:
        return self is not AuthorKind.MEMBER

    @property
    def only_in_session(self) -> bool:
        """Rule 3: sectors and groups propose only while the plenary is in session."""
        return self in (AuthorKind.SECTOR, AuthorKind.GROUP)


@dataclass(frozen=True)
class Plenary:
    """The days a plenary session sits, both included, in Asia/Shanghai."""

    opens_on: date
    closes_on: date


def in_session(now: datetime, plenaries: Sequence[Plenary]) -> bool:
    """Whether `now` falls on a day of a plenary, counted in Asia/Shanghai (the committee's days)."""
    day = now.astimezone(SHANGHAI).date()
    return any(p.opens_on <= day <= p.closes_on for p in plenaries)


def check_author_may_propose(kind: AuthorKind, now: datetime, plenaries: Sequence[Plenary]) -> None:
    """Rule 3: a sector or group proposal only on a day of a plenary session, else 422."""
    if kind.only_in_session and not in_session(now, plenaries):
        raise PlenaryNotInSession()


def author_violations(kind: AuthorKind, name: str | None) -> list[RuleViolation]:
    """An organization's proposal names the organization; a member's names none."""
    if kind.is_organization and not (name or "").strip():
        return [RuleViolation("author_name", "author_name_required")]
    if not kind.is_organization and name is not None:
        return [RuleViolation("author_name", "author_name_not_allowed")]
    return []


@dataclass(frozen=True)
class Facts:
    """What the rules read of a stored proposal."""

    id: UUID
    org_id: UUID
    status: Status
    content: Content
    first_proposer_id: UUID
    version: int
    proposers: tuple[Proposer, ...] = ()
    kind: Kind | None = None
    submitted_at: datetime | None = None
    is_key: bool = False
    filing_number: int | None = None
    author_kind: AuthorKind = AuthorKind.MEMBER
    author_name: str | None = None

    def cosigner(self, person_id: UUID | None) -> Proposer | None:
        return next((p for p in self.proposers if p.person_id == person_id and p.role == Role.COSIGNER), None)


def refuse(violations: list[RuleViolation], policy: ProposalPolicy) -> None:
    """Rule 1's 422 listing every violation, or nothing when there is none."""
    if violations:
        raise ProposalIncomplete.listing([(v.field, v.code) for v in violations], policy.model_dump())


_CONTENT_FIELDS = ("title", "situation", "suggestions")


def _content_after(content: Content, changes: Mapping[str, Any]) -> Content:
    given = {name: changes[name] for name in _CONTENT_FIELDS if name in changes}
    if "suggestions" in given:
        given["suggestions"] = tuple(given["suggestions"])
    return replace(content, **given)


_TRIMMED = ("title", "author_name")


def _trimmed(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value.strip() if name in _TRIMMED and value else value for name, value in fields.items()}


def draft(
    fields: Mapping[str, Any],
    policy: ProposalPolicy,
    *,
    first_proposer_id: UUID,
    now: datetime,
    members: Collection[UUID] = frozenset(),
    plenaries: Sequence[Plenary] = (),
) -> Decision[Status]:
    """A new draft of `fields` (title trimmed): it may be incomplete but not over the limits (rule 1);
    its proposers are the first proposer and the co-signers named in `cosigner_ids` (rule 4); an
    organization's names it, and a sector's or group's is drafted only in session (rule 3)."""
    fields = dict(fields)
    cosigner_ids = fields.pop("cosigner_ids", None) or []
    changes = _trimmed(fields)
    author = AuthorKind(changes.get("author_kind", AuthorKind.MEMBER))
    problems = content_violations(_content_after(Content("", "", ()), changes), policy, complete=False)
    refuse(problems + author_violations(author, changes.get("author_name")), policy)
    check_author_may_propose(author, now, plenaries)
    first = first_proposer(first_proposer_id, now)
    proposers = name_cosigners(first_proposer_id, (first,), cosigner_ids, policy, members=members)
    return Decision(Status.DRAFT, {**changes, PROPOSERS: proposers})


def edit(
    proposal: Facts,
    fields: Mapping[str, Any],
    policy: ProposalPolicy,
    *,
    members: Collection[UUID] = frozenset(),
) -> Decision[Status]:
    """Editing a draft: the fields given (title trimmed), still within the limits (rule 1), and
    the co-signers when `cosigner_ids` is given (rule 4)."""
    status = LIFECYCLE.check(proposal.status, Action.EDIT)
    fields = dict(fields)
    cosigner_ids = fields.pop("cosigner_ids", None)
    changes: dict[str, Any] = _trimmed(fields)
    refuse(content_violations(_content_after(proposal.content, changes), policy, complete=False), policy)
    if cosigner_ids is not None:
        changes[PROPOSERS] = name_cosigners(
            proposal.first_proposer_id, proposal.proposers, cosigner_ids, policy, members=members
        )
    return Decision(status, changes)


def submit(
    proposal: Facts,
    policy: ProposalPolicy,
    *,
    now: datetime,
    windows: list[SessionWindow],
    plenaries: Sequence[Plenary] = (),
    seals: int = 0,
) -> Decision[Status]:
    """Submitting a draft (rule 1 complete; an organization's with its seal attached, rule 2; a
    sector's or group's in session, rule 3), of the kind its time says (rule 5), announced; the
    co-signers still invited are asked now, to answer before `now + cosign_days` (rule 4)."""
    status = LIFECYCLE.check(proposal.status, Action.SUBMIT)
    refuse(content_violations(proposal.content, policy, complete=True), policy)
    if proposal.author_kind.is_organization and seals < 1:
        raise SealRequired()
    check_author_may_propose(proposal.author_kind, now, plenaries)
    kind = derive_kind(now, windows)
    version = proposal.version + 1  # the version this change makes (each change bumps it by one)
    submitted = ProposalSubmittedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        kind=kind,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(proposal.proposers),
        author_kind=proposal.author_kind,
        author_name=proposal.author_name,
        submitted_at=now,
        version=version,
    )
    changes: dict[str, Any] = {"kind": kind, "submitted_at": now}
    invited = sorted(
        (p for p in proposal.proposers if p.role == Role.COSIGNER and p.status == InvitationStatus.INVITED),
        key=lambda p: p.position,
    )
    if not invited:
        return Decision(status, changes, events=(submitted,))
    respond_by = now + timedelta(days=policy.cosign_days)
    asked = {p.person_id: replace(p, invited_at=now, respond_by=respond_by) for p in invited}
    changes[PROPOSERS] = tuple(asked.get(p.person_id, p) for p in proposal.proposers)
    requested = ProposalCosignRequestedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        invited_ids=[p.person_id for p in invited],
        respond_by=respond_by,
        version=version,
    )
    return Decision(status, changes, events=(submitted, requested))


_ANSWERS = {Action.CONFIRM_COSIGN: InvitationAction.CONFIRM, Action.DECLINE_COSIGN: InvitationAction.DECLINE}


def answer_cosign(proposal: Facts, person_id: UUID, action: Action, *, now: datetime) -> Decision[Status]:
    """Rule 4: an invited co-signer confirms or declines, strictly before `respond_by` (exactly at
    it the invitation is closed, as the scanner expires it at that instant)."""
    status = LIFECYCLE.check(proposal.status, action)
    invitation = proposal.cosigner(person_id)
    if invitation is None:
        raise CosignInvalidTransition(status="none", action=str(_ANSWERS[action]))
    answered = INVITATIONS.check(invitation.status, _ANSWERS[action])
    if invitation.respond_by is None or now >= invitation.respond_by:
        raise CosignDeadlinePassed(respond_by=str(invitation.respond_by))
    after = replace(invitation, status=answered, responded_at=now)
    proposers = tuple(after if p.person_id == person_id else p for p in proposal.proposers)
    common = {
        "proposal_id": proposal.id,
        "org_id": proposal.org_id,
        "first_proposer_id": proposal.first_proposer_id,
        "cosigner_id": person_id,
        "version": proposal.version + 1,
    }
    event = (
        ProposalCosignConfirmedV1(
            **common,
            position=invitation.position,
            confirmed_at=now,
            cosigner_ids=confirmed_cosigner_ids(proposers),
            submitted_at=proposal.submitted_at,
        )
        if answered == InvitationStatus.CONFIRMED
        else ProposalCosignDeclinedV1(**common, declined_at=now)
    )
    return Decision(status, {PROPOSERS: proposers}, events=(event,))


def expire_cosign(proposal: Facts, person_id: UUID, *, now: datetime) -> Decision[InvitationStatus]:
    """Rule 4: an invitation still unanswered at `respond_by` expires (once: the table refuses a
    second expiry). The proposal's own status and version stay as they are."""
    invitation = proposal.cosigner(person_id)
    if invitation is None or invitation.respond_by is None or now < invitation.respond_by:
        raise CosignInvalidTransition(status="not_due", action=str(InvitationAction.EXPIRE))
    status = INVITATIONS.check(invitation.status, InvitationAction.EXPIRE)
    expired = ProposalCosignExpiredV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_id=person_id,
        respond_by=invitation.respond_by,
    )
    return Decision(status, events=(expired,))


def close_invitations(proposal: Facts, now: datetime, *, redraft: bool = False) -> dict[str, Any]:
    """Rule 4: a proposal leaving review (filed, not filed, merged, withdrawn, returned) closes every
    invitation still open at that instant (`now < respond_by`), so nobody confirms afterwards and the
    deadline scanner, which claims only open invitations, never fires for it. Leaving for good, the
    invitation expires then (no event of its own: the proposal's event says what happened);
    returned for revision, the co-signer stays named on the draft, un-asked, and a re-submission
    asks again with a new deadline. One already due (`respond_by <= now`) is the scanner's: it
    expires with its `cosign_expired` event. The changes of the proposers, or none."""
    open_ = {
        p.person_id
        for p in proposal.proposers
        if p.role == Role.COSIGNER
        and p.status == InvitationStatus.INVITED
        and p.respond_by is not None
        and now < p.respond_by
    }
    if not open_:
        return {}

    def closed(p: Proposer) -> Proposer:
        if redraft:
            return replace(p, invited_at=None, respond_by=None)
        return replace(p, status=INVITATIONS.check(p.status, InvitationAction.EXPIRE))

    return {PROPOSERS: tuple(closed(p) if p.person_id in open_ else p for p in proposal.proposers)}


def withdraw(proposal: Facts, *, reason: str | None, now: datetime) -> Decision[Status]:
    """The first proposer withdraws before assignment (submitted or filed), saying why (422 if blank)."""
    status = LIFECYCLE.check(proposal.status, Action.WITHDRAW)
    reason = (reason or "").strip()
    if not reason:
        raise WithdrawReasonRequired()
    withdrawn = ProposalWithdrawnV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(proposal.proposers),
        from_status=proposal.status,
        reason=reason,
        withdrawn_at=now,
        version=proposal.version + 1,
    )
    return Decision(status, close_invitations(proposal, now), events=(withdrawn,), note=reason)


def delete(proposal: Facts) -> Decision[Status]:
    """Deleting a draft: a tombstone (the history and every reference to the id stay valid) with
    its text cleared; nobody reads a deleted proposal (rule 28)."""
    status = LIFECYCLE.check(proposal.status, Action.DELETE)
    cleared: dict[str, Any] = {"title": "", "situation": "", "suggestions": [], "suggested_unit": None}
    return Decision(status, cleared)


# --- Review (审查立案) and key proposals -------------------------------------------------------


def number_label(number: int) -> str:
    """The human filing number: 第0123号 (four digits at least)."""
    return f"第{number:04d}号"


def filing_series(kind: Kind | None, submitted_at: datetime, session_id: UUID | None) -> str:
    """The series a filing number counts in: a session proposal's plenary session (the session
    window its submission fell in), otherwise the calendar year (Asia/Shanghai) of its submission.
    A session proposal whose window is no longer known counts in its year too."""
    if kind == Kind.SESSION and session_id is not None:
        return f"session:{session_id}"
    return f"year:{submitted_at.astimezone(SHANGHAI).year}"


def file(
    proposal: Facts, *, series: str, number: int, cosigner_ids: Sequence[UUID], now: datetime
) -> Decision[Status]:
    """Filing (立案) a submitted proposal with the next number of its series; every proposer is told."""
    status = LIFECYCLE.check(proposal.status, Action.FILE)
    filed = ProposalFiledV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        is_joint=bool(cosigner_ids),
        filed_at=now,
        version=proposal.version + 1,
        number=number_label(number),
        filing_series=series,
    )
    changes = {
        "filing_series": series,
        "filing_number": number,
        "filed_at": now,
        **close_invitations(proposal, now),
    }
    return Decision(status, changes, events=(filed,), note=number_label(number))


def return_for_revision(
    proposal: Facts, note: str, *, cosigner_ids: Sequence[UUID], now: datetime
) -> Decision[Status]:
    """Returned for revision (退回修改): a draft again, with the office's note for the proposer."""
    status = LIFECYCLE.check(proposal.status, Action.RETURN)
    note = note.strip()
    if not note:
        raise NoteRequired()
    returned = ProposalReturnedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        note=note,
        returned_at=now,
        version=proposal.version + 1,
    )
    # A draft again: its kind is derived anew when it is submitted again (rule 5).
    changes = {"kind": None, "submitted_at": None, **close_invitations(proposal, now, redraft=True)}
    return Decision(status, changes, events=(returned,), note=note)


def not_file(
    proposal: Facts,
    reason: str,
    disposition: NotFiledDisposition,
    policy: ProposalPolicy,
    *,
    cosigner_ids: Sequence[UUID],
    now: datetime,
) -> Decision[Status]:
    """Not filed (不予立案): rule 6, a reason from the organization's list, and the proposers are told;
    rule 7, the disposition is kept (a conversion's report is linked when issue 12 creates it)."""
    status = LIFECYCLE.check(proposal.status, Action.NOT_FILE)
    if reason not in policy.refusal_reasons:
        raise UnknownRefusalReason.listing(policy.refusal_reasons)
    event = ProposalNotFiledV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        reason=reason,
        disposition=disposition,
        not_filed_at=now,
        version=proposal.version + 1,
    )
    changes = {
        "not_filed_reason": reason,
        "not_filed_disposition": disposition,
        **close_invitations(proposal, now),
    }
    return Decision(status, changes, events=(event,), note=reason)


def merged_in(source_proposers: Sequence[UUID], target_proposers: Sequence[UUID]) -> list[UUID]:
    """Rule 8: the source's proposers the target lacks, in the source's signing order."""
    present = set(target_proposers)
    return [p for p in dict.fromkeys(source_proposers) if p not in present]


def merge(
    proposal: Facts,
    into: Facts,
    *,
    source_proposers: Sequence[UUID],
    target_proposers: Sequence[UUID],
    now: datetime,
) -> Decision[Status]:
    """Merging (并案) a submitted proposal into a filed one of its organization (rule 8): the source
    is `merged` and every one of its proposers becomes a proposer of the target, after the target's."""
    status = LIFECYCLE.check(proposal.status, Action.MERGE)
    if into.status != Status.FILED or into.org_id != proposal.org_id or into.id == proposal.id:
        raise MergeTargetNotFiled()
    added = merged_in(source_proposers, target_proposers)
    merged = ProposalMergedV1(
        proposal_id=proposal.id,
        into_proposal_id=into.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        into_title=into.content.title,
        merged_proposer_ids=list(dict.fromkeys(source_proposers)),
        proposer_ids=[*target_proposers, *added],
        merged_at=now,
        version=proposal.version + 1,
    )
    note = number_label(into.filing_number) if into.filing_number is not None else None
    changes = {"merged_into_id": into.id, **close_invitations(proposal, now)}
    return Decision(status, changes, events=(merged,), note=note)


def check_supervisors(supervisor_ids: Sequence[UUID], leaders: Collection[UUID]) -> None:
    """Rule 19: every supervising leader named is a leader of the organization (422 naming the others)."""
    others = [str(p) for p in dict.fromkeys(supervisor_ids) if p not in leaders]
    if others:
        raise SupervisorNotALeader(ids=", ".join(others))


def designate_key(
    proposal: Facts,
    *,
    meeting: str,
    meeting_on: date,
    supervisor_ids: Sequence[UUID],
    cosigner_ids: Sequence[UUID],
    now: datetime,
) -> Decision[Status]:
    """Key proposal (重点提案, rule 19): the approving meeting (a name and a date not after today)
    and the supervising leaders, recorded once."""
    status = LIFECYCLE.check(proposal.status, Action.DESIGNATE_KEY)
    if proposal.is_key:
        raise ProposalAlreadyKey()
    meeting = meeting.strip()
    if not meeting:
        raise MeetingRequired()
    if meeting_on > now.astimezone(SHANGHAI).date():
        raise MeetingInTheFuture()
    supervisors = list(dict.fromkeys(supervisor_ids))
    designated = ProposalKeyDesignatedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        designated_at=datetime.combine(meeting_on, time(0), SHANGHAI),  # the contract: the meeting's date
        supervisor_ids=supervisors,
        version=proposal.version + 1,
        meeting=meeting,
    )
    changes = {
        "is_key": True,
        "key_meeting": meeting,
        "key_meeting_on": meeting_on,
        "key_supervisor_ids": supervisors,
    }
    return Decision(status, changes, events=(designated,), note=f"{meeting} {meeting_on.isoformat()}")


# Steps the office takes: a proposer sees them as the committee's, never a staff member's name.
OFFICE_STEPS = frozenset({*(a.value for a in OFFICE_ACTIONS), "merge_in"})
OFFICE_NAME = "政协提案委员会"


def shown_actor(
    action: str, actor_id: UUID | None, *, viewer_is_office: bool, proposer_ids: frozenset[UUID]
) -> tuple[UUID | None, str | None]:
    """Who a timeline step names (actor id, name): the office sees every actor; anyone else sees the
    office's steps as 政协提案委员会 and a proposer's own steps by the proposer, nobody else."""
    if viewer_is_office:
        return actor_id, None
    if action in OFFICE_STEPS:
        return None, OFFICE_NAME
    return (actor_id, None) if actor_id in proposer_ids else (None, None)

"""Public-opinion report use cases on the one write path (cppcc_common.change). Never commits (the
request does).

Every step of a report goes through `_transition`: the report locked and read through
`readable(principal)` (404), who may act (403), the table (409), the version (412), the domain
action (its Decision), the changes, the history row (an edit's text before and after), the version
bump and the events. A conversion (rule 7) is a move of the proposal machine
(`proposals.service.convert_to_opinion`, or its `not_file` with that disposition) that creates the
report in the same transaction.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.proposal import AdoptionLevel, NotFiledDisposition, OpinionPolicyChangedV1
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, encode_cursor, page_of
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from proposal_svc.attachments import repository as attachments
from proposal_svc.attachments import service as attachment_service
from proposal_svc.attachments.domain import OwnerType, Upload
from proposal_svc.attachments.models import Attachment
from proposal_svc.opinions import domain, repository
from proposal_svc.opinions import policy as opinion_policy
from proposal_svc.opinions.domain import LIFECYCLE, Action, Adoption, Facts, Recipient, Status
from proposal_svc.opinions.errors import (
    AlreadyConverted,
    OpinionForbidden,
    OpinionNotFound,
    OpinionVersionMismatch,
)
from proposal_svc.opinions.models import (
    OpinionAdoption,
    OpinionFeedback,
    OpinionForward,
    OpinionHistory,
    OpinionInstruction,
    OpinionReport,
)
from proposal_svc.opinions.policy import OpinionPolicy
from proposal_svc.opinions.repository import Filters
from proposal_svc.opinions.schemas import (
    OpinionAdoptionRead,
    OpinionDraft,
    OpinionFeedbackRead,
    OpinionForwardRead,
    OpinionInstructionRead,
    OpinionReportRead,
)
from proposal_svc.proposals import domain as proposal_domain
from proposal_svc.proposals import repository as proposals
from proposal_svc.proposals import service as proposal_service
from proposal_svc.proposals.errors import NotACurrentMember
from proposal_svc.proposals.policy import ProposalPolicy

Decide = Callable[[Facts], Awaitable[Decision[Status]]]


def _record(
    change: Change,
    report_id: UUID,
    action: str,
    from_status: str | None,
    to_status: str,
    note: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    change.session.add(
        OpinionHistory(
            id=new_id(),
            report_id=report_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=change.actor,
            note=note,
            at=change.now,
            before=before or None,
            after=after or None,
        )
    )


async def _transition(
    change: Change, report_id: UUID, action: Action, expected: IfMatch | None, decide: Decide
) -> OpinionReport:
    """The report machine's one write path (the module docstring's steps)."""
    principal = change.person
    row = await repository.get_readable(change.session, principal, report_id, lock=True)
    if row is None:
        raise OpinionNotFound()
    office = repository.acts_as_office(principal)
    if not domain.may_act(action, actor=principal.sub, author_id=row.author_id, office=office):
        raise OpinionForbidden()
    LIFECYCLE.check(Status(row.status), action)
    check_version(row.version, expected, error=OpinionVersionMismatch)
    facts = repository.facts_of(row)
    decision = await decide(facts)
    # A draft's text is its author's alone (rule 28): the audit keeps no draft's values.
    audited = {} if facts.status == Status.DRAFT else decision.changes
    before = {k: getattr(row, k) for k in audited}
    for name, value in decision.changes.items():
        setattr(row, name, value)
    row.status = decision.status
    _record(
        change,
        row.id,
        action,
        facts.status,
        decision.status,
        decision.note,
        to_jsonable_python({**before, **decision.before}),
        to_jsonable_python({**audited, **decision.after}),
    )
    row.version += 1
    row.updated_at = change.now
    for event in decision.events:
        await change.emit(event, subject=row.id, orgid=row.org_id)
    return row


async def _create(
    change: Change,
    report_id: UUID,
    action: str,
    *,
    org_id: UUID,
    author_id: UUID,
    status: Status,
    content: domain.Content,
    note: str | None = None,
    **columns: Any,
) -> OpinionReport:
    """A new report's row at version 1 and its first history row (`action`: `create` for a draft,
    `convert` for a report made of a proposal, rule 7)."""
    row = OpinionReport(
        id=report_id,
        org_id=org_id,
        author_id=author_id,
        status=status,
        title=content.title,
        situation=content.situation,
        analysis=content.analysis,
        suggestion=content.suggestion,
        created_at=change.now,
        updated_at=change.now,
        version=1,
        **columns,
    )
    change.session.add(row)
    # The report before its history row, and before a converted proposal's row names it (no ORM
    # relationship orders them).
    await change.session.flush()
    _record(change, row.id, action, None, status, note=note)
    return row


# ---- the author --------------------------------------------------------------------------------


async def create_draft(change: Change, body: OpinionDraft) -> OpinionReport:
    """A member's draft (rule 28: theirs alone until submitted)."""
    principal = change.person
    policy = await repository.policy_for(change.session, principal.org)
    content = domain.new_draft(body.model_dump(), policy)
    return await _create(
        change,
        new_id(),
        "create",
        org_id=principal.org,
        author_id=principal.sub,
        status=Status.DRAFT,
        content=content,
    )


async def edit_draft(
    change: Change, report_id: UUID, fields: dict[str, Any], expected: IfMatch | None
) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        policy = await repository.policy_for(change.session, facts.org_id)
        return domain.edit_draft(facts, fields, policy)

    return await _transition(change, report_id, Action.EDIT_DRAFT, expected, decide)


async def submit(change: Change, report_id: UUID, expected: IfMatch | None) -> OpinionReport:
    """DOMAIN.md §3 and rule 2: a current member submits a complete report within the limits."""

    async def decide(facts: Facts) -> Decision[Status]:
        current = await proposals.is_current_member(
            change.session, org_id=facts.org_id, person_id=facts.author_id, at=change.now
        )
        if not current:
            raise NotACurrentMember()
        policy = await repository.policy_for(change.session, facts.org_id)
        return domain.submit(facts, policy, now=change.now)

    return await _transition(change, report_id, Action.SUBMIT, expected, decide)


async def withdraw(
    change: Change, report_id: UUID, reason: str | None, expected: IfMatch | None
) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        return domain.withdraw(facts, reason, now=change.now)

    return await _transition(change, report_id, Action.WITHDRAW, expected, decide)


# ---- the office --------------------------------------------------------------------------------


async def edit(
    change: Change, report_id: UUID, fields: dict[str, Any], note: str | None, expected: IfMatch | None
) -> OpinionReport:
    """The office's edit: kept in the history with its author, time, and text before and after."""

    async def decide(facts: Facts) -> Decision[Status]:
        policy = await repository.policy_for(change.session, facts.org_id)
        return domain.edit(facts, fields, note, policy, now=change.now)

    return await _transition(change, report_id, Action.EDIT, expected, decide)


OfficeRecord = OpinionAdoption | OpinionForward | OpinionInstruction | OpinionFeedback


def _keep(change: Change, record: type[OfficeRecord], report_id: UUID, **values: Any) -> None:
    """One row of what the office recorded on a report (an adoption, a forward, an instruction,
    feedback), with who recorded it and when; added once the domain accepted the step."""
    change.session.add(
        record(id=new_id(), report_id=report_id, at=change.now, actor_id=change.actor, **values)
    )


async def adopt(
    change: Change,
    report_id: UUID,
    adoption: Adoption,
    adopted_by: str,
    note: str | None,
    expected: IfMatch | None,
) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        decision = domain.adopt(facts, adoption, note or adopted_by, now=change.now)
        _keep(
            change,
            OpinionAdoption,
            facts.id,
            level=adoption.level,
            mode=adoption.mode,
            adopted_by=adopted_by,
            note=note,
        )
        after = {"adopted_by": adopted_by, "level": adoption.level, "mode": adoption.mode}
        return Decision(decision.status, decision.changes, decision.events, decision.note, after=after)

    return await _transition(change, report_id, Action.ADOPT, expected, decide)


async def not_adopt(change: Change, report_id: UUID, reason: str, expected: IfMatch | None) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        return domain.not_adopt(facts, reason, now=change.now)

    return await _transition(change, report_id, Action.NOT_ADOPT, expected, decide)


async def forward(
    change: Change, report_id: UUID, recipients: Sequence[Recipient], expected: IfMatch | None
) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        decision = domain.forward(facts, recipients, now=change.now)
        for recipient in recipients:
            _keep(
                change, OpinionForward, facts.id, recipient_kind=recipient.kind, recipient_name=recipient.name
            )
        return decision

    return await _transition(change, report_id, Action.FORWARD, expected, decide)


async def instruct(
    change: Change,
    report_id: UUID,
    *,
    level: AdoptionLevel,
    leader: str,
    text: str,
    instructed_on: date,
    expected: IfMatch | None,
) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        decision = domain.instruct(facts, level, leader, instructed_on, now=change.now)
        _keep(
            change,
            OpinionInstruction,
            facts.id,
            level=level,
            leader=leader,
            text=text,
            instructed_on=instructed_on,
        )
        return decision

    return await _transition(change, report_id, Action.INSTRUCT, expected, decide)


async def record_feedback(
    change: Change, report_id: UUID, *, source: str, text: str, received_on: date, expected: IfMatch | None
) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        decision = domain.feedback(facts, source, received_on, now=change.now)
        _keep(change, OpinionFeedback, facts.id, source=source, text=text, received_on=received_on)
        return decision

    return await _transition(change, report_id, Action.FEEDBACK, expected, decide)


# ---- rule 7: a not-filed proposal becomes a report -------------------------------------------


async def create_from_proposal(change: Change, proposal: proposal_domain.Facts) -> UUID:
    """Rule 7: the proposal's text as a submitted report of its first proposer, linked to it (the
    proposal keeps the report's id); `cppcc.opinion.submitted.v1` names the proposal (the duty
    ledger does not score the same text twice unless its policy says so). Once per proposal."""
    if await repository.converted_from(change.session, proposal.id) is not None:
        raise AlreadyConverted()
    report_id = new_id()
    content, event = domain.converted(
        report_id=report_id,
        org_id=proposal.org_id,
        author_id=proposal.first_proposer_id,
        proposal_id=proposal.id,
        title=proposal.content.title,
        situation=proposal.content.situation,
        suggestions=proposal.content.suggestions,
        now=change.now,
    )
    row = await _create(
        change,
        report_id,
        "convert",
        org_id=proposal.org_id,
        author_id=proposal.first_proposer_id,
        status=Status.SUBMITTED,
        content=content,
        note=str(proposal.id),
        submitted_at=change.now,
        converted_from_proposal_id=proposal.id,
    )
    await change.emit(event, subject=row.id, orgid=row.org_id)
    return report_id


async def convert(
    change: Change, proposal_id: UUID, note: str | None, expected: IfMatch | None
) -> OpinionReport:
    """Rule 7: the proposals office, or the first proposer asking for it, converts a not-filed
    proposal into a report afterwards (when the review chose another disposition)."""
    created: list[UUID] = []

    async def decide(proposal: proposal_domain.Facts) -> Decision[proposal_domain.Status]:
        report_id = await create_from_proposal(change, proposal)
        created.append(report_id)
        changes = {
            "opinion_report_id": report_id,
            "not_filed_disposition": NotFiledDisposition.CONVERT_TO_OPINION,
        }
        return Decision(proposal.status, changes, note=note or "转为社情民意信息")

    await proposal_service.convert_to_opinion(change, proposal_id, expected, decide)
    row = await change.session.get(OpinionReport, created[0])
    assert row is not None
    return row


# ---- the organization's values ---------------------------------------------------------------


async def policy_of(session: AsyncSession, org_id: UUID) -> OpinionPolicy:
    """The organization's effective values: its overrides over the defaults."""
    return await repository.policy_for(session, org_id)


async def set_policy(change: Change, policy: OpinionPolicy) -> OpinionPolicy:
    """Replaces the organization's report values; a change is announced with who, when, and the
    changed values before and after (the audit), as the proposal policy's."""
    org_id = change.person.org
    before = await repository.policy_for(change.session, org_id, lock=True)
    changed = opinion_policy.changed(before, policy)
    if not changed:
        return policy
    await repository.save_policy(change.session, org_id, opinion_policy.overrides(policy))
    old, new = before.model_dump(mode="json"), policy.model_dump(mode="json")
    audit = OpinionPolicyChangedV1(
        org_id=org_id,
        changed=changed,
        before={name: old[name] for name in changed},
        after={name: new[name] for name in changed},
        changed_at=change.now,
    )
    await change.emit(audit, subject=org_id, orgid=org_id)
    return policy


# ---- attachments (the author's draft) ----------------------------------------------------------


async def add_attachment(
    change: Change, report_id: UUID, upload: Upload, expected: IfMatch | None, rules: ProposalPolicy
) -> tuple[Attachment, OpinionReport]:
    """Adds a file to the author's draft, under the report's lock (the policy's count holds), by the
    attachments' own rules and store (`attachments.service.store`)."""
    added: list[Attachment] = []

    async def decide(facts: Facts) -> Decision[Status]:
        owner = (OwnerType.OPINION, facts.id)
        attachment = await attachment_service.store(
            change, owner, facts.org_id, upload, rules, organization=False
        )
        added.append(attachment)
        return Decision(facts.status, note=f"attachment added: {attachment.id} {attachment.file_name}")

    report = await _transition(change, report_id, Action.EDIT_DRAFT, expected, decide)
    return added[0], report


async def remove_attachment(
    change: Change, report_id: UUID, attachment_id: UUID, expected: IfMatch | None
) -> OpinionReport:
    async def decide(facts: Facts) -> Decision[Status]:
        attachment = await attachment_service.remove(change, (OwnerType.OPINION, facts.id), attachment_id)
        return Decision(facts.status, note=f"attachment removed: {attachment.id} {attachment.file_name}")

    return await _transition(change, report_id, Action.EDIT_DRAFT, expected, decide)


async def _readable(session: AsyncSession, principal: Principal, report_id: UUID) -> OpinionReport:
    row = await repository.get_readable(session, principal, report_id)
    if row is None:
        raise OpinionNotFound()
    return row


async def list_attachments(session: AsyncSession, principal: Principal, report_id: UUID) -> list[Attachment]:
    await _readable(session, principal, report_id)
    return await attachments.list_for(session, OwnerType.OPINION, report_id)


async def read_attachment(
    session: AsyncSession, principal: Principal, report_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    await _readable(session, principal, report_id)
    return await attachment_service.read(session, (OwnerType.OPINION, report_id), attachment_id)


# ---- reads -------------------------------------------------------------------------------------


def _actions(principal: Principal, row: OpinionReport) -> list[Action]:
    office = repository.acts_as_office(principal)
    return [
        a
        for a in LIFECYCLE.actions_from(Status(row.status))
        if domain.may_act(a, actor=principal.sub, author_id=row.author_id, office=office)
    ]


async def read(session: AsyncSession, principal: Principal, report_id: UUID) -> OpinionReportRead:
    """A report and what the office recorded on it, for whoever may read it (else 404)."""
    row = await _readable(session, principal, report_id)
    return await view(session, principal, row)


async def view(session: AsyncSession, principal: Principal, row: OpinionReport) -> OpinionReportRead:
    record = await repository.record_of(session, row.id)
    summary = OpinionReportRead.model_validate(row, from_attributes=True)
    return summary.model_copy(
        update={
            "edited": await repository.was_edited(session, row.id),
            "adoptions": [OpinionAdoptionRead.model_validate(r) for r in record.adoptions],
            "forwards": [OpinionForwardRead.model_validate(r) for r in record.forwards],
            "instructions": [OpinionInstructionRead.model_validate(r) for r in record.instructions],
            "feedback": [OpinionFeedbackRead.model_validate(r) for r in record.feedback],
            "actions": _actions(principal, row),
        }
    )


async def list_visible(
    session: AsyncSession, principal: Principal, filters: Filters, *, cursor: str | None, limit: int
) -> tuple[list[OpinionReport], str | None]:
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.list_readable(session, principal, filters, after=after, limit=limit + 1)
    return page_of(rows, limit)


async def history(
    session: AsyncSession,
    principal: Principal,
    report_id: UUID,
    *,
    edits_only: bool = False,
    cursor: str | None,
    limit: int,
) -> tuple[list[OpinionHistory], str | None]:
    """A page of a report's steps (or only the office's edits), oldest first, for whoever may read
    it: the author sees who edited their text, when, and what it said before."""
    await _readable(session, principal, report_id)
    rows = await repository.history_of(
        session,
        report_id,
        action=Action.EDIT if edits_only else None,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = rows[:limit]
    return page, encode_cursor(page[-1].at, page[-1].id) if len(rows) > limit else None

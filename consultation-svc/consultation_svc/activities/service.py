"""Activity use cases on the one write path (cppcc_common.change). Never commits (the request does).

The activity machine has one transition function (`_transition`): the row locked and read through
`readable(principal)` (404), the table (409), If-Match (412), the domain action → a Decision, its
changes applied, the history row, the version bump, the events. A leave request's machine has its
own (`_decide_leave`), under the activity's lock too.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities import domain, repository
from consultation_svc.activities.domain import (
    LIFECYCLE,
    SYSTEM_ACTIONS,
    Action,
    AttendanceMethod,
    Facts,
    InvitedVia,
    LeaveAction,
    LeaveStatus,
    Presence,
    Status,
)
from consultation_svc.activities.errors import (
    ActivityNotFound,
    ActivityVersionMismatch,
    InvitationNotFound,
    InviteeSelectionEmpty,
    LeaveNotFound,
    LeaveVersionMismatch,
    MaterialsNotPublished,
    MaterialsPublished,
    NotAnInvitee,
    NotCurrentMembers,
    NotInvited,
)
from consultation_svc.activities.models import (
    Activity,
    ActivityHistory,
    Attendance,
    ConsultationPolicyRow,
    Invitation,
    Leave,
)
from consultation_svc.activities.policy import ConsultationPolicy
from consultation_svc.activities.schemas import (
    ActivityEdit,
    InviteRequest,
    RescheduleRequest,
    ScheduleRequest,
)
from consultation_svc.attachments import service as attachments
from consultation_svc.attachments.models import Attachment
from consultation_svc.members import repository as members
from consultation_svc.participation import repository as participation
from cppcc_common.attachments import Upload
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.consultation import (
    ActivityKind,
    ActivityScheduledV1,
    InvitationAnswer,
    InvitationAnsweredV1,
    LeaveRequestedV1,
    MaterialsPublishedV1,
    NoticeIssuedV1,
)
from cppcc_common.events import EventData
from cppcc_common.ids import new_id
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from cppcc_common.workdays import local_date
from cppcc_common.workdays_store import calendar_for

MATERIALS = "activity"  # the attachments' owner type of an activity's materials

Decide = Callable[[Activity], Awaitable[Decision[Status]]]


def facts(row: Activity) -> Facts:
    return Facts(
        id=row.id,
        org_id=row.org_id,
        form=row.form,
        kind=ActivityKind(row.kind),
        status=Status(row.status),
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        venue=row.venue,
        online_link=row.online_link,
        organizer_person_id=row.organizer_person_id,
        notice_issued_at=row.notice_issued_at,
        materials_published_at=row.materials_published_at,
    )


async def policy(session: AsyncSession, org_id: UUID) -> ConsultationPolicy:
    return await repository.policy_for(session, org_id)


async def _lock(change: Change, activity_id: UUID, action: Action) -> Activity:
    """Step 1: the row for update — through `readable` for a person (else 404), any row for the system."""
    if change.principal is None:
        assert action in SYSTEM_ACTIONS, f"{action} is not a system action"
        row = await repository.get_for_update(change.session, activity_id)
    else:
        row = await repository.get_readable(change.session, change.principal, activity_id, lock=True)
    if row is None:
        raise ActivityNotFound()
    return row


async def _transition(
    change: Change, activity_id: UUID, action: Action, expected: IfMatch | None, decide: Decide
) -> Activity:
    """The one transition function of the activity machine (docs/conventions.md, steps 1–9). Who may
    act (step 2) is the route's permission (the office) or the invitation (`_invitation`)."""
    row = await _lock(change, activity_id, action)
    before = Status(row.status)
    LIFECYCLE.check(before, action)
    check_version(row.version, expected, error=ActivityVersionMismatch)
    decision = await decide(row)
    for name, value in decision.changes.items():
        setattr(row, name, value)
    row.status = decision.status
    change.session.add(
        ActivityHistory(
            id=new_id(),
            activity_id=row.id,
            org_id=row.org_id,
            actor=change.actor,
            at=change.now,
            action=action,
            from_status=before,
            to_status=decision.status,
            note=decision.note,
        )
    )
    row.version += 1
    row.updated_at = change.now
    for event in decision.events:
        await change.emit(event, subject=row.id, orgid=row.org_id)
    return row


# ---- scheduling ------------------------------------------------------------------------------------


async def schedule(change: Change, body: ScheduleRequest) -> Activity:
    """The office schedules an activity of one of the forms (DOMAIN.md §4) in its organization."""
    kind = domain.kind_of(body.form)
    domain.check_times(body.starts_at, body.ends_at)
    domain.check_not_started(body.starts_at, change.now, ("安排", "schedule it"))
    principal = change.person
    row = Activity(
        id=new_id(),
        org_id=principal.org,
        form=body.form,
        kind=kind,
        status=Status.SCHEDULED,
        title=body.title,
        description=body.description,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        venue=body.venue,
        online_link=body.online_link,
        organizer_person_id=body.organizer_person_id,
        organizer_name=body.organizer_name,
        plan_entry_id=body.plan_entry_id,
        rescheduled_count=0,
        created_by=principal.sub,
        created_at=change.now,
        updated_at=change.now,
        version=1,
    )
    change.session.add(row)
    change.session.add(
        ActivityHistory(
            id=new_id(),
            activity_id=row.id,
            org_id=row.org_id,
            actor=change.actor,
            at=change.now,
            action="schedule",
            from_status=None,
            to_status=Status.SCHEDULED,
            note=None,
        )
    )
    await change.session.flush()
    event = ActivityScheduledV1(
        activity_id=row.id,
        org_id=row.org_id,
        form=row.form,
        activity_kind=kind,
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        organizer_person_id=row.organizer_person_id,
        plan_entry_id=row.plan_entry_id,
    )
    await change.emit(event, subject=row.id, orgid=row.org_id)
    return row


async def edit(change: Change, activity_id: UUID, body: ActivityEdit, expected: IfMatch | None) -> Activity:
    """Edits a scheduled activity (before the notice; afterwards a move is a reschedule with a reason)."""
    fields = body.model_dump(exclude_unset=True)

    async def decide(row: Activity) -> Decision[Status]:
        if "form" in fields:
            fields["kind"] = domain.kind_of(fields["form"])
        starts_at, ends_at = fields.get("starts_at", row.starts_at), fields.get("ends_at", row.ends_at)
        if "starts_at" in fields or "ends_at" in fields:
            domain.check_times(starts_at, ends_at)
            domain.check_not_started(starts_at, change.now, ("安排到已过去的时间", "move it into the past"))
        return Decision(Status.SCHEDULED, changes=fields, note=", ".join(sorted(fields)) or None)

    return await _transition(change, activity_id, Action.EDIT, expected, decide)


# ---- invitees -----------------------------------------------------------------------------------------


async def invite(
    change: Change, activity_id: UUID, body: InviteRequest, expected: IfMatch | None
) -> tuple[Activity, int]:
    """Adds invitees: members by list, sector, committee, standing members or all — resolved from the
    members projection now (a member who joins later is not added by itself) — and guests who are not
    members. Someone invited already is skipped. After the notice, the new invitees get it (and the
    materials, if published) by themselves."""
    added: list[Invitation] = []
    if not (
        body.person_ids or body.sector_ids or body.committee_ids or body.standing or body.all or body.guests
    ):
        raise InviteeSelectionEmpty()

    async def decide(row: Activity) -> Decision[Status]:
        session = change.session
        on = local_date(row.starts_at)
        chosen: dict[UUID, tuple[str, InvitedVia]] = {}
        selections: list[tuple[InvitedVia, dict[str, Any]]] = [
            (InvitedVia.ALL, {"everyone": body.all}),
            (InvitedVia.STANDING, {"standing": body.standing}),
            (InvitedVia.COMMITTEE, {"committee_ids": body.committee_ids}),
            (InvitedVia.SECTOR, {"sector_ids": body.sector_ids}),
            (InvitedVia.LIST, {"person_ids": body.person_ids}),
        ]
        for via, selection in selections:
            for person_id, name in await members.resolve(session, row.org_id, on, **selection):
                chosen[person_id] = (name, via)  # the narrowest selection that named them
        unknown = sorted(set(body.person_ids) - set(chosen), key=str)
        if unknown:
            raise NotCurrentMembers(ids=", ".join(str(u) for u in unknown))
        already = await repository.invited_person_ids(session, row.id, list(chosen))
        for person_id, (name, via) in chosen.items():
            if person_id in already:
                continue
            added.append(_invitation(row, change.now, via, person_id=person_id, name=name))
        for guest in body.guests:
            added.append(
                _invitation(
                    row,
                    change.now,
                    InvitedVia.GUEST,
                    name=guest.name,
                    kind=guest.kind,
                    affiliation=guest.affiliation,
                )
            )
        session.add_all(added)
        new_ids = sorted((i.person_id for i in added if i.person_id is not None), key=str)
        events: list[EventData] = []
        if row.status == Status.NOTIFIED and new_ids:
            current = facts(row)
            events.append(_notice_for(current, new_ids, change.now))
            if row.materials_published_at is not None:
                ids = await attachments.ids_of(session, MATERIALS, row.id)
                events.append(_materials_for(current, new_ids, ids, change.now))
        return Decision(Status(row.status), events=tuple(events), note=f"{len(added)} invitees added")

    row = await _transition(change, activity_id, Action.INVITE, expected, decide)
    return row, len(added)


def _notice_for(current: Facts, person_ids: list[UUID], now: datetime) -> NoticeIssuedV1:
    return NoticeIssuedV1(
        activity_id=current.id,
        org_id=current.org_id,
        form=current.form,
        activity_kind=current.kind,
        title=current.title,
        starts_at=current.starts_at,
        ends_at=current.ends_at,
        venue=current.venue,
        online_link=current.online_link,
        invitee_ids=person_ids,
        issued_at=now,
    )


def _materials_for(
    current: Facts, person_ids: list[UUID], attachment_ids: list[UUID], now: datetime
) -> MaterialsPublishedV1:
    return MaterialsPublishedV1(
        activity_id=current.id,
        org_id=current.org_id,
        title=current.title,
        starts_at=current.starts_at,
        invitee_ids=person_ids,
        attachment_ids=attachment_ids,
        published_at=now,
    )


def _invitation(
    row: Activity,
    now: datetime,
    via: InvitedVia,
    *,
    person_id: UUID | None = None,
    name: str | None = None,
    kind: str | None = None,
    affiliation: str | None = None,
) -> Invitation:
    return Invitation(
        id=new_id(),
        activity_id=row.id,
        org_id=row.org_id,
        person_id=person_id,
        name=name,
        guest_kind=kind,
        guest_affiliation=affiliation,
        invited_via=via,
        invited_at=now,
    )


async def uninvite(
    change: Change, activity_id: UUID, invitation_id: UUID, expected: IfMatch | None
) -> Activity:
    """Removes an invitee before the notice went out (afterwards the invitee was told: no silent removal)."""

    async def decide(row: Activity) -> Decision[Status]:
        found = await repository.invitation(change.session, row.id, invitation_id)
        if found is None:
            raise InvitationNotFound()
        await change.session.delete(found)
        return Decision(Status.SCHEDULED, note=f"invitee removed: {found.person_id or found.name}")

    return await _transition(change, activity_id, Action.UNINVITE, expected, decide)


async def invitations(
    session: AsyncSession, principal: Principal, activity_id: UUID, *, after: UUID | None, limit: int
) -> list[Invitation]:
    await read(session, principal, activity_id)
    return await repository.invitations_of(session, activity_id, after=after, limit=limit)


# ---- notice, materials (rule 21), reschedule, cancel ------------------------------------------------


async def issue_notice(
    change: Change, activity_id: UUID, late_reason: str | None, expected: IfMatch | None
) -> Activity:
    """Rule 21: the notice to every invitee, late only with a recorded reason."""

    async def decide(row: Activity) -> Decision[Status]:
        session = change.session
        rules = await policy(session, row.org_id)
        calendar = await calendar_for(session, now=change.now)
        ids = await repository.invitee_ids(session, row.id)
        count = await repository.count_invitations(session, row.id)
        checkin = await participation.policy_for(session, row.org_id)
        return domain.issue_notice(
            facts(row), ids, count, late_reason, rules, calendar, change.now, checkin=checkin
        )

    return await _transition(change, activity_id, Action.ISSUE_NOTICE, expected, decide)


async def publish_materials(
    change: Change, activity_id: UUID, late_reason: str | None, expected: IfMatch | None
) -> Activity:
    """Rule 21: the materials to every invitee, late only with a recorded reason."""

    async def decide(row: Activity) -> Decision[Status]:
        session = change.session
        rules = await policy(session, row.org_id)
        calendar = await calendar_for(session, now=change.now)
        ids = await repository.invitee_ids(session, row.id)
        material_ids = await attachments.ids_of(session, MATERIALS, row.id)
        return domain.publish_materials(
            facts(row), ids, material_ids, late_reason, rules, calendar, change.now
        )

    return await _transition(change, activity_id, Action.PUBLISH_MATERIALS, expected, decide)


async def reschedule(
    change: Change, activity_id: UUID, body: RescheduleRequest, expected: IfMatch | None
) -> Activity:
    async def decide(row: Activity) -> Decision[Status]:
        session = change.session
        rules = await policy(session, row.org_id)
        ids = await repository.invitee_ids(session, row.id)
        venue = body.venue if "venue" in body.model_fields_set else row.venue
        link = body.online_link if "online_link" in body.model_fields_set else row.online_link
        checkin = await participation.policy_for(session, row.org_id)
        decision = domain.reschedule(
            facts(row),
            body.starts_at,
            body.ends_at,
            venue,
            link,
            body.reason,
            ids,
            rules,
            change.now,
            checkin=checkin,
        )
        row.rescheduled_count += 1
        await repository.move_leave_year(session, row.id, domain.leave_year(body.starts_at))
        return decision

    return await _transition(change, activity_id, Action.RESCHEDULE, expected, decide)


async def cancel(change: Change, activity_id: UUID, reason: str, expected: IfMatch | None) -> Activity:
    async def decide(row: Activity) -> Decision[Status]:
        ids = await repository.invitee_ids(change.session, row.id)
        return domain.cancel(facts(row), reason, ids, change.now)

    return await _transition(change, activity_id, Action.CANCEL, expected, decide)


async def remind(change: Change, activity_id: UUID) -> Activity:
    """The scanner's reminder (a system change)."""

    async def decide(row: Activity) -> Decision[Status]:
        ids = await repository.expected_ids(change.session, row.id)
        return domain.remind(facts(row), ids, change.now)

    return await _transition(change, activity_id, Action.REMIND, None, decide)


async def open_checkin(change: Change, activity_id: UUID) -> Activity:
    """The scanner's check-in opening (a system change): the invitees still expected are told."""

    async def decide(row: Activity) -> Decision[Status]:
        ids = await repository.expected_ids(change.session, row.id)
        checkin = await participation.policy_for(change.session, row.org_id)
        return domain.open_checkin(facts(row), ids, checkin, change.now)

    return await _transition(change, activity_id, Action.OPEN_CHECKIN, None, decide)


async def close(change: Change, activity_id: UUID, expected: IfMatch | None) -> Activity:
    """The activity took place: attendances and absences to the duty ledger (rules 24, 25)."""

    async def decide(row: Activity) -> Decision[Status]:
        session = change.session
        invited = [i for i in await repository.invitations_of(session, row.id) if i.person_id is not None]
        present = {a.person_id: a for a in await repository.attendances_of(session, row.id)}
        leaves = {lv.person_id: lv for lv in await repository.leaves_of(session, row.id)}
        presences = []
        for inv in invited:
            assert inv.person_id is not None
            attended = present.get(inv.person_id)
            leave = leaves.get(inv.person_id)
            presences.append(
                Presence(
                    person_id=inv.person_id,
                    arrived_at=attended.arrived_at if attended else None,
                    left_at=attended.left_at if attended else None,
                    leave_id=leave.id if leave else None,
                    leave_status=LeaveStatus(leave.status) if leave else None,
                )
            )
            inv.outcome_recorded_at = change.now
        return domain.close(facts(row), presences, change.now)

    return await _transition(change, activity_id, Action.CLOSE, expected, decide)


# ---- answers and leave (rule 24) ------------------------------------------------------------------


async def _own_invitation(change: Change, row: Activity) -> Invitation:
    """Who may act for an answer: the invited member themself (403 for anyone else who sees it)."""
    found = await repository.invitation_of(change.session, row.id, change.person.sub, lock=True)
    if found is None:
        raise NotInvited()
    return found


async def answer(change: Change, activity_id: UUID, given: InvitationAnswer) -> Invitation:
    """An invitee answers attend or decline (a leave request is `request_leave`)."""
    answered: list[Invitation] = []

    async def decide(row: Activity) -> Decision[Status]:
        mine = await _own_invitation(change, row)
        leave = await repository.leave_of(change.session, row.id, change.person.sub)
        domain.check_answer(facts(row), LeaveStatus(leave.status) if leave else None, change.now)
        mine.answer, mine.answered_at = given, change.now
        answered.append(mine)
        event = InvitationAnsweredV1(
            activity_id=row.id,
            org_id=row.org_id,
            invitation_id=mine.id,
            person_id=change.person.sub,
            answer=given,
            answered_at=change.now,
            title=row.title,
            organizer_person_id=row.organizer_person_id,
        )
        return Decision(Status(row.status), events=(event,), note=f"answer: {given}")

    await _transition(change, activity_id, Action.ANSWER, None, decide)
    return answered[0]


async def request_leave(change: Change, activity_id: UUID, reason: str) -> Leave:
    """An invitee asks for leave with a reason, once per activity, before it starts (rule 24)."""
    made: list[Leave] = []

    async def decide(row: Activity) -> Decision[Status]:
        mine = await _own_invitation(change, row)
        person = change.person.sub
        existing = await repository.leave_of(change.session, row.id, person)
        domain.check_leave_request(facts(row), LeaveStatus(existing.status) if existing else None, change.now)
        leave = Leave(
            id=new_id(),
            activity_id=row.id,
            invitation_id=mine.id,
            org_id=row.org_id,
            person_id=person,
            year=domain.leave_year(row.starts_at),
            reason=reason,
            status=LeaveStatus.REQUESTED,
            requested_at=change.now,
            version=1,
        )
        change.session.add(leave)
        mine.answer, mine.answered_at = InvitationAnswer.LEAVE, change.now
        made.append(leave)
        event = LeaveRequestedV1(
            leave_id=leave.id,
            activity_id=row.id,
            org_id=row.org_id,
            person_id=person,
            activity_kind=ActivityKind(row.kind),
            title=row.title,
            starts_at=row.starts_at,
            reason=reason,
            requested_at=change.now,
            organizer_person_id=row.organizer_person_id,
        )
        return Decision(Status(row.status), events=(event,), note="leave requested")

    await _transition(change, activity_id, Action.ANSWER, None, decide)
    await change.session.flush()
    return made[0]


async def decide_leave(
    change: Change,
    activity_id: UUID,
    leave_id: UUID,
    action: LeaveAction,
    refusal_reason: str | None,
    expected: IfMatch | None,
) -> Leave:
    """The leave machine's one transition function: the office approves within the member's yearly
    limit or refuses with a reason (rule 24), under the activity's lock and the member's year lock;
    `leave_approved` / `leave_refused` go to the member and the duty ledger."""
    decided: list[Leave] = []

    async def decide(row: Activity) -> Decision[Status]:
        session = change.session
        leave = await repository.leave(session, row.id, leave_id, lock=True)
        if leave is None:
            raise LeaveNotFound()
        domain.LEAVE_LIFECYCLE.check(LeaveStatus(leave.status), action)
        check_version(leave.version, expected, error=LeaveVersionMismatch)
        await repository.lock_member_year(session, row.org_id, leave.person_id, leave.year)
        approved = await repository.approved_leaves(session, row.org_id, leave.person_id, leave.year)
        rules = await policy(session, row.org_id)
        status, event = domain.decide_leave(
            facts(row), leave.id, leave.person_id, action, approved, refusal_reason, rules, change.now
        )
        leave.status, leave.decided_by, leave.decided_at = status, change.actor, change.now
        leave.refusal_reason = refusal_reason if action is LeaveAction.REFUSE else None
        leave.version += 1
        decided.append(leave)
        note = f"leave {status}: {leave.person_id}" + (f" ({refusal_reason})" if refusal_reason else "")
        return Decision(Status(row.status), events=(event,), note=note)

    await _transition(change, activity_id, Action.DECIDE_LEAVE, None, decide)
    return decided[0]


async def leaves(
    session: AsyncSession, principal: Principal, activity_id: UUID, *, after: UUID | None, limit: int
) -> list[Leave]:
    await read(session, principal, activity_id)
    return await repository.leaves_of(session, activity_id, after=after, limit=limit)


# ---- attendance (rule 25) ---------------------------------------------------------------------------


async def record_attendance(
    change: Change,
    activity_id: UUID,
    person_id: UUID,
    arrived_at: datetime,
    left_at: datetime | None,
    method: AttendanceMethod,
) -> Attendance:
    """Records (or corrects) an invited member's arrival and departure at an activity the caller may
    read; while the activity is notified, or once closed as a correction, which sends
    `attendance_recorded` to the duty ledger again (the close sent the first). Who may record is the
    caller's: staff mark anyone (the route's permission), the QR check-in (participation) the
    scanning member themself."""
    kept: list[Attendance] = []

    async def decide(row: Activity) -> Decision[Status]:
        session = change.session
        invitation = await repository.invitation_of(session, row.id, person_id)
        if invitation is None:
            raise NotAnInvitee()
        current = facts(row)
        domain.check_attendance(current, arrived_at, left_at, change.now)
        attendance = await repository.attendance_of(session, row.id, person_id, lock=True)
        if attendance is None:
            attendance = Attendance(
                id=new_id(), activity_id=row.id, org_id=row.org_id, person_id=person_id, version=0
            )
            session.add(attendance)
        attendance.arrived_at, attendance.left_at = arrived_at, left_at
        attendance.method, attendance.recorded_by, attendance.recorded_at = method, change.actor, change.now
        attendance.version += 1
        kept.append(attendance)
        closed = row.status == Status.CLOSED
        events = (domain.attendance_event(current, person_id, arrived_at, left_at),) if closed else ()
        note = f"attendance {method}: {person_id} {arrived_at.isoformat()}–{left_at.isoformat() if left_at else ''}"
        return Decision(Status(row.status), events=events, note=note)

    await _transition(change, activity_id, Action.MARK_ATTENDANCE, None, decide)
    await change.session.flush()
    return kept[0]


async def attendances(
    session: AsyncSession, principal: Principal, activity_id: UUID, *, after: UUID | None, limit: int
) -> list[Attendance]:
    await read(session, principal, activity_id)
    return await repository.attendances_of(session, activity_id, after=after, limit=limit)


# ---- reads ------------------------------------------------------------------------------------------


async def read(session: AsyncSession, principal: Principal, activity_id: UUID) -> Activity:
    row = await repository.get_readable(session, principal, activity_id)
    if row is None:
        raise ActivityNotFound()
    return row


async def list_activities(
    session: AsyncSession,
    principal: Principal,
    *,
    status: Status | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Activity]:
    """The activities `principal` may read (rule 28), latest start first, `limit + 1` of them."""
    return await repository.list_readable(
        session,
        principal,
        status=status,
        starts_from=starts_from,
        starts_before=starts_before,
        after=after,
        limit=limit,
    )


async def policy_row(session: AsyncSession, org_id: UUID) -> ConsultationPolicyRow | None:
    return await repository.policy_row(session, org_id)


async def history(
    session: AsyncSession, principal: Principal, activity_id: UUID, *, after: UUID | None, limit: int
) -> list[ActivityHistory]:
    await read(session, principal, activity_id)
    return await repository.history_of(session, activity_id, after=after, limit=limit)


async def my_answers(
    session: AsyncSession, principal: Principal, activity_ids: list[UUID]
) -> dict[UUID, tuple[InvitationAnswer | None, LeaveStatus | None]]:
    """The caller's answer and leave status on those of the activities they are invited to."""
    found = await repository.answers_of(session, principal.sub, activity_ids)
    return {
        aid: (InvitationAnswer(answer) if answer else None, LeaveStatus(leave) if leave else None)
        for aid, (answer, leave) in found.items()
    }


# ---- the policy --------------------------------------------------------------------------------------


async def set_policy(
    change: Change, values: dict[str, Any], expected: IfMatch | None
) -> ConsultationPolicyRow:
    """The organization's consultation rule values (an admin's); the rest keep their defaults."""
    org = change.person.org
    row = await repository.policy_row(change.session, org, lock=True)
    current = row.version if row else 0
    check_version(current, expected, error=ActivityVersionMismatch)
    merged = {**(row.values if row else {}), **values}
    checked = ConsultationPolicy.model_validate(merged).model_dump(mode="json", include=set(merged))
    if row is None:
        row = ConsultationPolicyRow(
            org_id=org, values=checked, updated_by=change.actor, updated_at=change.now, version=1
        )
        change.session.add(row)
    else:
        row.values, row.updated_by, row.updated_at = checked, change.actor, change.now
        row.version += 1
    await change.session.flush()
    return row


# ---- materials (attachments) -----------------------------------------------------------------------


async def add_material(
    change: Change, activity_id: UUID, upload: Upload, rules: ConsultationPolicy
) -> tuple[Attachment, Activity]:
    """A material of the activity, while scheduled or notified, admitted by the shared rules within
    the organization's policy (`rules`, the caller's organization's, read before any byte)."""
    added: list[Attachment] = []

    async def decide(row: Activity) -> Decision[Status]:
        attachment = await attachments.add(change, (MATERIALS, row.id), row.org_id, upload, rules)
        added.append(attachment)
        return Decision(Status(row.status), note=f"material added: {attachment.id} {attachment.file_name}")

    row = await _transition(change, activity_id, Action.ATTACH, None, decide)
    return added[0], row


async def remove_material(
    change: Change, activity_id: UUID, attachment_id: UUID, expected: IfMatch | None
) -> Activity:
    """Removes a material not yet published (a published one reached the invitees)."""

    async def decide(row: Activity) -> Decision[Status]:
        if row.materials_published_at is not None:
            raise MaterialsPublished()
        removed = await attachments.remove(change.session, MATERIALS, row.id, attachment_id)
        return Decision(Status(row.status), note=f"material removed: {removed.id} {removed.file_name}")

    return await _transition(change, activity_id, Action.ATTACH, expected, decide)


async def _materials_readable(session: AsyncSession, principal: Principal, activity_id: UUID) -> Activity:
    """The office and the leaders see the materials as they are prepared; an invitee once published."""
    row = await read(session, principal, activity_id)
    if not repository.sees_organization_activities(principal) and row.materials_published_at is None:
        raise MaterialsNotPublished()
    return row


async def materials(session: AsyncSession, principal: Principal, activity_id: UUID) -> list[Attachment]:
    await _materials_readable(session, principal, activity_id)
    return await attachments.list_for(session, MATERIALS, activity_id)


async def material(
    session: AsyncSession, principal: Principal, activity_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    await _materials_readable(session, principal, activity_id)
    return await attachments.read(session, MATERIALS, activity_id, attachment_id)

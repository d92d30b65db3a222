"""Activity routes: parse → service → respond (a few lines each)."""

from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from consultation_svc.activities import service
from consultation_svc.activities.domain import AttendanceMethod, LeaveAction, Status
from consultation_svc.activities.errors import (
    ActivityAlreadyStarted,
    ActivityInvalidTransition,
    ActivityNotFound,
    ActivityNotStarted,
    ActivityTimesInvalid,
    ActivityVersionMismatch,
    AttendanceTimesInvalid,
    InvitationNotFound,
    InviteeSelectionEmpty,
    LeaveAlreadyRequested,
    LeaveInvalidTransition,
    LeaveLimitReached,
    LeaveNotFound,
    LeavesPending,
    LeaveVersionMismatch,
    MaterialsLateReasonRequired,
    MaterialsNotPublished,
    MaterialsPublished,
    NoInvitees,
    NoMaterials,
    NotAnInvitee,
    NotCurrentMembers,
    NoticeLateReasonRequired,
    NotInvited,
    UnknownForm,
)
from consultation_svc.activities.models import Activity
from consultation_svc.activities.permissions import ANSWER, MANAGE, OVERSEE, READ, READ_POLICY, SET_POLICY
from consultation_svc.activities.policy import DEFAULT_POLICY
from consultation_svc.activities.schemas import (
    ActivityEdit,
    ActivityPage,
    ActivityRead,
    AnswerRequest,
    AttendancePage,
    AttendanceRead,
    AttendanceWrite,
    CancelRequest,
    HistoryPage,
    HistoryRead,
    InvitationPage,
    InvitationRead,
    InviteRequest,
    InviteResult,
    LateReason,
    LeavePage,
    LeaveRead,
    LeaveRequest,
    PolicyRead,
    PolicyWrite,
    RefuseLeaveRequest,
    RescheduleRequest,
    ScheduleRequest,
)
from consultation_svc.attachments import transfer
from consultation_svc.attachments.schemas import ConsultationAttachmentRead
from cppcc_common.attachments import AttachmentNotFound
from cppcc_common.auth import Principal
from cppcc_common.change import Change, Changing
from cppcc_common.contracts.consultation import InvitationAnswer
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    decode_id_cursor,
    encode_cursor,
    encode_id_cursor,
)
from cppcc_common.uploads import ContentTypeHeader, FileNameHeader
from cppcc_common.validation import BoundedDatetime
from cppcc_common.versioning import OptionalExpectedVersion, etag
from cppcc_common.workdays import YearUnknown

router = APIRouter(prefix="/api/v1/consultations", tags=["activities"])

Managing = Annotated[Change, Changing(MANAGE)]
Reader = Annotated[Principal, Depends(READ)]
Overseer = Annotated[Principal, Depends(OVERSEE)]
Answering = Annotated[Change, Changing(ANSWER)]
_WRITE = (ActivityNotFound, ActivityInvalidTransition, ActivityVersionMismatch)
_ONE = "/activities/{activity_id}"


async def _reads(session: SessionDep, principal: Principal, rows: Sequence[Activity]) -> list[ActivityRead]:
    """The activities as the caller reads them, with their own answer where invited (one query)."""
    mine = await service.my_answers(session, principal, [r.id for r in rows])
    reads = []
    for row in rows:
        read = ActivityRead.model_validate(row)
        read.my_answer, read.my_leave_status = mine.get(row.id, (None, None))
        reads.append(read)
    return reads


def _paged(rows: Sequence[Any], limit: int) -> tuple[list[Any], str | None]:
    """`limit + 1` rows ordered by id → the page and the cursor of its last row."""
    page = list(rows[:limit])
    return page, encode_id_cursor(page[-1].id) if len(rows) > limit else None


def _written(row: Activity, response: Response) -> ActivityRead:
    response.headers["ETag"] = etag(row.version)
    return ActivityRead.model_validate(row)


@router.post(
    "/activities",
    status_code=201,
    response_model=ActivityRead,
    responses={
        201: {"headers": {"Location": {"schema": {"type": "string"}}}},
        **problems(UnknownForm, ActivityTimesInvalid, ActivityAlreadyStarted),
    },
    summary="Schedule an activity of one of the forms (the consultation office)",
)
async def schedule(body: ScheduleRequest, change: Managing, response: Response) -> ActivityRead:
    row = await service.schedule(change, body)
    response.headers["Location"] = f"/api/v1/consultations/activities/{row.id}"
    return _written(row, response)


@router.get(
    "/activities",
    response_model=ActivityPage,
    summary="Activities I may see (rule 28), latest start first",
    description="委员：本人受邀且已发通知的活动；协商工作人员和领导：本组织全部活动。",
)
async def list_activities(
    principal: Reader,
    session: SessionDep,
    status: Annotated[Status | None, Query(description="按状态筛选")] = None,
    starts_from: Annotated[BoundedDatetime | None, Query(description="开始时间不早于")] = None,
    starts_before: Annotated[BoundedDatetime | None, Query(description="开始时间早于")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ActivityPage:
    after = decode_cursor(cursor) if cursor else None
    rows = await service.list_activities(
        session,
        principal,
        status=status,
        starts_from=starts_from,
        starts_before=starts_before,
        after=after,
        limit=limit,
    )
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].starts_at, page[-1].id) if len(rows) > limit else None
    return ActivityPage(items=await _reads(session, principal, page), next_cursor=next_cursor)


@router.get(
    _ONE,
    response_model=ActivityRead,
    responses=problems(ActivityNotFound),
    summary="An activity I may see, with my answer when invited",
)
async def read_activity(
    activity_id: UUID, principal: Reader, session: SessionDep, response: Response
) -> ActivityRead:
    row = await service.read(session, principal, activity_id)
    response.headers["ETag"] = etag(row.version)
    [read] = await _reads(session, principal, [row])
    return read


@router.patch(
    _ONE,
    response_model=ActivityRead,
    responses=problems(*_WRITE, UnknownForm, ActivityTimesInvalid, ActivityAlreadyStarted),
    summary="Edit a scheduled activity, before its notice (If-Match optional)",
)
async def edit_activity(
    activity_id: UUID,
    body: ActivityEdit,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> ActivityRead:
    return _written(await service.edit(change, activity_id, body, expected), response)


# ---- invitees --------------------------------------------------------------------------------------


@router.post(
    _ONE + "/invitees",
    response_model=InviteResult,
    responses=problems(*_WRITE, InviteeSelectionEmpty, NotCurrentMembers),
    summary="Invite members by list, sector, committee, standing members or all, and guests",
    description="按当时的委员名单解析；已在名单中的不重复添加。通知发出后新增的人员单独收到通知（及已发布的材料）。",
)
async def invite(
    activity_id: UUID,
    body: InviteRequest,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> InviteResult:
    row, added = await service.invite(change, activity_id, body, expected)
    return InviteResult(added=added, activity=_written(row, response))


@router.get(
    _ONE + "/invitees",
    response_model=InvitationPage,
    responses=problems(ActivityNotFound),
    summary="The activity's invitees and their answers (the office and leaders)",
)
async def list_invitees(
    activity_id: UUID,
    principal: Overseer,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> InvitationPage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await service.invitations(session, principal, activity_id, after=after, limit=limit)
    items, next_cursor = _paged(rows, limit)
    return InvitationPage(items=[InvitationRead.model_validate(r) for r in items], next_cursor=next_cursor)


@router.delete(
    _ONE + "/invitees/{invitation_id}",
    status_code=204,
    response_class=Response,
    responses=problems(*_WRITE, InvitationNotFound),
    summary="Remove an invitee before the notice went out",
)
async def uninvite(
    activity_id: UUID, invitation_id: UUID, change: Managing, expected: OptionalExpectedVersion
) -> Response:
    row = await service.uninvite(change, activity_id, invitation_id, expected)
    return Response(status_code=204, headers={"ETag": etag(row.version)})


# ---- notice, materials, reschedule, cancel, close ------------------------------------------------


@router.post(
    _ONE + "/notice",
    response_model=ActivityRead,
    responses=problems(*_WRITE, NoInvitees, NoticeLateReasonRequired, ActivityAlreadyStarted, YearUnknown),
    summary="Issue the notice to every invitee (rule 21: later than the lead time only with a reason)",
)
async def issue_notice(
    activity_id: UUID,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
    body: LateReason | None = None,
) -> ActivityRead:
    reason = body.late_reason if body else None
    return _written(await service.issue_notice(change, activity_id, reason, expected), response)


@router.post(
    _ONE + "/materials",
    status_code=201,
    response_model=ConsultationAttachmentRead,
    **transfer.upload_doc(DEFAULT_POLICY.attachment_types, *_WRITE),
    summary="Add a material (raw file body; type and size per the organization's policy)",
    description="文件作为请求体上传，Content-Type 为文件类型，X-Filename 为文件名；PDF、图片、Word、Excel 须名副其实。",
)
async def add_material(
    activity_id: UUID,
    change: Managing,
    request: Request,
    response: Response,
    content_type: ContentTypeHeader,
    file_name: FileNameHeader,
) -> ConsultationAttachmentRead:
    rules = await service.policy(change.session, change.person.org)
    upload = await transfer.receive(request, content_type, file_name, rules, purpose="material")
    attachment, row = await service.add_material(change, activity_id, upload, rules)
    response.headers["Location"] = f"/api/v1/consultations/activities/{activity_id}/materials/{attachment.id}"
    response.headers["ETag"] = etag(row.version)
    return ConsultationAttachmentRead.model_validate(attachment)


@router.get(
    _ONE + "/materials",
    response_model=list[ConsultationAttachmentRead],
    responses=problems(ActivityNotFound, MaterialsNotPublished),
    summary="The activity's materials (invitees once published; at most the policy's count)",
)
async def list_materials(
    activity_id: UUID, principal: Reader, session: SessionDep
) -> list[ConsultationAttachmentRead]:
    return [
        ConsultationAttachmentRead.model_validate(a)
        for a in await service.materials(session, principal, activity_id)
    ]


@router.get(
    _ONE + "/materials/{attachment_id}",
    response_class=Response,
    responses=transfer.download_doc(DEFAULT_POLICY.attachment_types, ActivityNotFound, MaterialsNotPublished),
    summary="Download a material",
)
async def download_material(
    activity_id: UUID, attachment_id: UUID, principal: Reader, session: SessionDep
) -> Response:
    return transfer.file_response(*await service.material(session, principal, activity_id, attachment_id))


@router.delete(
    _ONE + "/materials/{attachment_id}",
    status_code=204,
    response_class=Response,
    responses=problems(*_WRITE, AttachmentNotFound, MaterialsPublished),
    summary="Remove a material not yet published",
)
async def remove_material(
    activity_id: UUID, attachment_id: UUID, change: Managing, expected: OptionalExpectedVersion
) -> Response:
    row = await service.remove_material(change, activity_id, attachment_id, expected)
    return Response(status_code=204, headers={"ETag": etag(row.version)})


@router.post(
    _ONE + "/materials/publish",
    response_model=ActivityRead,
    responses=problems(
        *_WRITE, NoMaterials, MaterialsLateReasonRequired, ActivityAlreadyStarted, YearUnknown
    ),
    summary="Publish the materials to every invitee (rule 21: later than the lead time only with a reason)",
)
async def publish_materials(
    activity_id: UUID,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
    body: LateReason | None = None,
) -> ActivityRead:
    reason = body.late_reason if body else None
    return _written(await service.publish_materials(change, activity_id, reason, expected), response)


@router.post(
    _ONE + "/reschedule",
    response_model=ActivityRead,
    responses=problems(*_WRITE, ActivityTimesInvalid, ActivityAlreadyStarted),
    summary="Move the activity, with a reason (every invitee is told once notified)",
)
async def reschedule(
    activity_id: UUID,
    body: RescheduleRequest,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> ActivityRead:
    return _written(await service.reschedule(change, activity_id, body, expected), response)


@router.post(
    _ONE + "/cancel",
    response_model=ActivityRead,
    responses=problems(*_WRITE),
    summary="Cancel the activity, with a reason (every invitee is told once notified)",
)
async def cancel(
    activity_id: UUID,
    body: CancelRequest,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> ActivityRead:
    return _written(await service.cancel(change, activity_id, body.reason, expected), response)


@router.post(
    _ONE + "/close",
    response_model=ActivityRead,
    responses=problems(*_WRITE, ActivityNotStarted, LeavesPending),
    summary="Close the activity: attendance and absences go to the duty ledger (rules 24, 25)",
)
async def close(
    activity_id: UUID, change: Managing, expected: OptionalExpectedVersion, response: Response
) -> ActivityRead:
    return _written(await service.close(change, activity_id, expected), response)


@router.get(
    _ONE + "/history",
    response_model=HistoryPage,
    responses=problems(ActivityNotFound),
    summary="Every step of the activity, oldest first (the office and leaders)",
)
async def history(
    activity_id: UUID,
    principal: Overseer,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> HistoryPage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await service.history(session, principal, activity_id, after=after, limit=limit)
    items, next_cursor = _paged(rows, limit)
    return HistoryPage(items=[HistoryRead.model_validate(h) for h in items], next_cursor=next_cursor)


# ---- answers and leave (rule 24) ----------------------------------------------------------------


@router.put(
    _ONE + "/answer",
    response_model=InvitationRead,
    responses=problems(
        ActivityNotFound, ActivityInvalidTransition, NotInvited, LeaveAlreadyRequested, ActivityAlreadyStarted
    ),
    summary="My answer to the invitation: attend or decline (a leave request is POST …/leave)",
)
async def answer(activity_id: UUID, body: AnswerRequest, change: Answering) -> InvitationRead:
    given = InvitationAnswer(body.answer)
    return InvitationRead.model_validate(await service.answer(change, activity_id, given))


@router.post(
    _ONE + "/leave",
    status_code=201,
    response_model=LeaveRead,
    responses=problems(
        ActivityNotFound, ActivityInvalidTransition, NotInvited, LeaveAlreadyRequested, ActivityAlreadyStarted
    ),
    summary="Ask for leave from the activity, with a reason (rule 24)",
)
async def request_leave(
    activity_id: UUID, body: LeaveRequest, change: Answering, response: Response
) -> LeaveRead:
    leave = await service.request_leave(change, activity_id, body.reason)
    response.headers["ETag"] = etag(leave.version)
    return LeaveRead.model_validate(leave)


@router.get(
    _ONE + "/leaves",
    response_model=LeavePage,
    responses=problems(ActivityNotFound),
    summary="The activity's leave requests in the order made (the office and leaders)",
)
async def list_leaves(
    activity_id: UUID,
    principal: Overseer,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> LeavePage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await service.leaves(session, principal, activity_id, after=after, limit=limit)
    items, next_cursor = _paged(rows, limit)
    return LeavePage(items=[LeaveRead.model_validate(lv) for lv in items], next_cursor=next_cursor)


_LEAVE_PROBLEMS = (*_WRITE, LeaveNotFound, LeaveInvalidTransition, LeaveVersionMismatch)


@router.post(
    _ONE + "/leaves/{leave_id}/approve",
    response_model=LeaveRead,
    responses=problems(*_LEAVE_PROBLEMS, LeaveLimitReached),
    summary="Approve a leave request within the member's yearly limit (rule 24)",
)
async def approve_leave(
    activity_id: UUID, leave_id: UUID, change: Managing, expected: OptionalExpectedVersion, response: Response
) -> LeaveRead:
    leave = await service.decide_leave(change, activity_id, leave_id, LeaveAction.APPROVE, None, expected)
    response.headers["ETag"] = etag(leave.version)
    return LeaveRead.model_validate(leave)


@router.post(
    _ONE + "/leaves/{leave_id}/refuse",
    response_model=LeaveRead,
    responses=problems(*_LEAVE_PROBLEMS),
    summary="Refuse a leave request, with a reason: absent, the member is unexcused (rule 24)",
)
async def refuse_leave(
    activity_id: UUID,
    leave_id: UUID,
    body: RefuseLeaveRequest,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> LeaveRead:
    leave = await service.decide_leave(
        change, activity_id, leave_id, LeaveAction.REFUSE, body.reason, expected
    )
    response.headers["ETag"] = etag(leave.version)
    return LeaveRead.model_validate(leave)


# ---- attendance (rule 25) ------------------------------------------------------------------------


@router.put(
    _ONE + "/attendances/{person_id}",
    response_model=AttendanceRead,
    responses=problems(ActivityNotFound, ActivityInvalidTransition, NotAnInvitee, AttendanceTimesInvalid),
    summary="Mark (or correct) an invitee's arrival and departure (the office)",
    description="活动结束（closed）后更正出勤，将再次向履职档案发送出勤记录。",
)
async def mark_attendance(
    activity_id: UUID, person_id: UUID, body: AttendanceWrite, change: Managing
) -> AttendanceRead:
    attendance = await service.record_attendance(
        change, activity_id, person_id, body.arrived_at, body.left_at, AttendanceMethod.STAFF
    )
    return AttendanceRead.model_validate(attendance)


@router.get(
    _ONE + "/attendances",
    response_model=AttendancePage,
    responses=problems(ActivityNotFound),
    summary="Who came and when, in the order first recorded (the office and leaders)",
)
async def list_attendances(
    activity_id: UUID,
    principal: Overseer,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> AttendancePage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await service.attendances(session, principal, activity_id, after=after, limit=limit)
    items, next_cursor = _paged(rows, limit)
    return AttendancePage(items=[AttendanceRead.model_validate(a) for a in items], next_cursor=next_cursor)


# ---- the policy ----------------------------------------------------------------------------------


def _policy_read(values: dict[str, object], version: int) -> PolicyRead:
    return PolicyRead.model_validate({**values, "version": version})


@router.get(
    "/activity-policy", response_model=PolicyRead, summary="My organization's consultation activity policy"
)
async def get_policy(
    principal: Annotated[Principal, Depends(READ_POLICY)], session: SessionDep, response: Response
) -> PolicyRead:
    row = await service.policy_row(session, principal.org)
    rules = await service.policy(session, principal.org)
    version = row.version if row else 0
    response.headers["ETag"] = etag(version)
    return _policy_read(rules.model_dump(mode="json"), version)


@router.patch(
    "/activity-policy",
    response_model=PolicyRead,
    responses=problems(ActivityVersionMismatch),
    summary="Set some of my organization's consultation policy values (admin; If-Match optional)",
)
async def set_policy(
    body: PolicyWrite,
    change: Annotated[Change, Changing(SET_POLICY)],
    expected: OptionalExpectedVersion,
    response: Response,
) -> PolicyRead:
    row = await service.set_policy(change, body.values(), expected)
    rules = await service.policy(change.session, change.person.org)
    response.headers["ETag"] = etag(row.version)
    return _policy_read(rules.model_dump(mode="json"), row.version)

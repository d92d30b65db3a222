"""Speech routes: parse → service → respond. Invitees register and edit their own speeches and
files; the office marks them delivered (accepted) or declined; leaders read."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from consultation_svc.attachments import transfer
from consultation_svc.participation.errors import ActivityNotFound, ActivityNotOpen, NotInvited
from consultation_svc.participation.permissions import OFFICE, READ, TAKE_PART
from consultation_svc.participation.policy import DEFAULT_POLICY
from consultation_svc.speeches import service
from consultation_svc.speeches.errors import (
    AlreadyRegistered,
    NotTheSpeaker,
    SpeechInvalidTransition,
    SpeechNotFound,
    SpeechVersionMismatch,
    WrittenSpeechEmpty,
)
from consultation_svc.speeches.schemas import (
    SpeechAttachmentRead,
    SpeechCreate,
    SpeechDecline,
    SpeechPage,
    SpeechPatch,
    SpeechRead,
)
from cppcc_common.attachments import AttachmentNotFound
from cppcc_common.auth import Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.errors import Forbidden
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.uploads import ContentTypeHeader, FileNameHeader
from cppcc_common.versioning import ExpectedVersion, OptionalExpectedVersion, etag

router = APIRouter(prefix="/api/v1/consultations/activities/{activity_id}/speeches", tags=["speeches"])

Speaking = Annotated[Change, Changing(TAKE_PART)]
Office = Annotated[Change, Changing(OFFICE)]
Reader = Annotated[Principal, Depends(READ)]
_SEEN = (ActivityNotFound, NotInvited)
_WRITE = (*_SEEN, SpeechNotFound, SpeechInvalidTransition, SpeechVersionMismatch)


def _read(speech: Any, response: Response | None = None) -> SpeechRead:
    if response is not None:
        response.headers["ETag"] = etag(speech.version)
    return SpeechRead.model_validate(speech)


@router.post(
    "",
    status_code=201,
    response_model=SpeechRead,
    responses=problems(*_SEEN, ActivityNotOpen, AlreadyRegistered),
    summary="Register to speak (oral) or submit a written speech (an invitee)",
)
async def register(activity_id: UUID, body: SpeechCreate, change: Speaking, response: Response) -> SpeechRead:
    speech = await service.register(change, activity_id, body.mode, body.title, body.text)
    response.headers["Location"] = f"/api/v1/consultations/activities/{activity_id}/speeches/{speech.id}"
    return _read(speech, response)


@router.get(
    "",
    response_model=SpeechPage,
    responses=problems(*_SEEN),
    summary="The speeches of an activity (the office and leaders: all; an invitee: their own)",
)
async def list_speeches(
    activity_id: UUID,
    principal: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> SpeechPage:
    rows, next_cursor = await service.page(session, principal, activity_id, cursor, limit)
    return SpeechPage(items=[SpeechRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{speech_id}",
    response_model=SpeechRead,
    responses=problems(*_SEEN, SpeechNotFound),
    summary="A speech I may read",
)
async def read_speech(
    activity_id: UUID, speech_id: UUID, principal: Reader, session: SessionDep, response: Response
) -> SpeechRead:
    return _read(await service.read(session, principal, activity_id, speech_id), response)


@router.patch(
    "/{speech_id}",
    response_model=SpeechRead,
    responses=problems(*_WRITE, NotTheSpeaker, ActivityNotOpen),
    summary="Edit my registered speech (If-Match)",
)
async def edit_speech(
    activity_id: UUID,
    speech_id: UUID,
    body: SpeechPatch,
    change: Speaking,
    expected: ExpectedVersion,
    response: Response,
) -> SpeechRead:
    changes = body.model_dump(exclude_unset=True)
    return _read(await service.edit(change, activity_id, speech_id, changes, expected), response)


@router.post(
    "/{speech_id}/withdraw",
    response_model=SpeechRead,
    responses=problems(*_WRITE, NotTheSpeaker, ActivityNotOpen),
    summary="Withdraw my registered speech",
)
async def withdraw(
    activity_id: UUID,
    speech_id: UUID,
    change: Speaking,
    expected: OptionalExpectedVersion,
    response: Response,
) -> SpeechRead:
    return _read(await service.withdraw(change, activity_id, speech_id, expected), response)


@router.post(
    "/{speech_id}/deliver",
    response_model=SpeechRead,
    responses=problems(*_WRITE, Forbidden, WrittenSpeechEmpty),
    summary="Mark a speech delivered (oral) or accepted (written): the duty ledger scores it (the office)",
)
async def deliver(
    activity_id: UUID, speech_id: UUID, change: Office, expected: OptionalExpectedVersion, response: Response
) -> SpeechRead:
    return _read(await service.deliver(change, activity_id, speech_id, expected), response)


@router.post(
    "/{speech_id}/decline",
    response_model=SpeechRead,
    responses=problems(*_WRITE, Forbidden),
    summary="Decline a speech with a reason: not given the floor, or not taken (the office)",
)
async def decline(
    activity_id: UUID,
    speech_id: UUID,
    body: SpeechDecline,
    change: Office,
    expected: OptionalExpectedVersion,
    response: Response,
) -> SpeechRead:
    return _read(await service.decline(change, activity_id, speech_id, body.reason, expected), response)


# --- files ----------------------------------------------------------------------------------------


@router.post(
    "/{speech_id}/attachments",
    status_code=201,
    response_model=SpeechAttachmentRead,
    **transfer.upload_doc(DEFAULT_POLICY.attachment_types, *_WRITE, NotTheSpeaker, ActivityNotOpen),
    summary="Attach a file to my registered speech (raw file body)",
    description="请求体为文件，Content-Type 为文件类型，X-Filename 为文件名；大小、类型、数量以组织策略为准。",
)
async def add_attachment(
    activity_id: UUID,
    speech_id: UUID,
    change: Speaking,
    request: Request,
    response: Response,
    content_type: ContentTypeHeader,
    file_name: FileNameHeader,
) -> SpeechAttachmentRead:
    policy = await service.policy_of(change)
    upload = await transfer.receive(request, content_type, file_name, policy, purpose="speech")
    attachment = await service.add_file(change, activity_id, speech_id, upload, policy)
    response.headers["Location"] = (
        f"/api/v1/consultations/activities/{activity_id}/speeches/{speech_id}/attachments/{attachment.id}"
    )
    return SpeechAttachmentRead.model_validate(attachment)


@router.get(
    "/{speech_id}/attachments",
    response_model=list[SpeechAttachmentRead],
    responses=problems(*_SEEN, SpeechNotFound),
    summary="The files of a speech I may read (at most the policy's count)",
)
async def list_attachments(
    activity_id: UUID, speech_id: UUID, principal: Reader, session: SessionDep
) -> list[SpeechAttachmentRead]:
    return [
        SpeechAttachmentRead.model_validate(a)
        for a in await service.files(session, principal, activity_id, speech_id)
    ]


@router.get(
    "/{speech_id}/attachments/{attachment_id}",
    response_class=Response,
    responses=transfer.download_doc(DEFAULT_POLICY.attachment_types, *_SEEN, SpeechNotFound),
    summary="Download a file of a speech I may read",
)
async def download_attachment(
    activity_id: UUID, speech_id: UUID, attachment_id: UUID, principal: Reader, session: SessionDep
) -> Response:
    return transfer.file_response(
        *await service.file(session, principal, activity_id, speech_id, attachment_id)
    )


@router.delete(
    "/{speech_id}/attachments/{attachment_id}",
    status_code=204,
    response_class=Response,
    responses=problems(*_WRITE, NotTheSpeaker, ActivityNotOpen, AttachmentNotFound),
    summary="Remove a file from my registered speech",
)
async def remove_attachment(
    activity_id: UUID, speech_id: UUID, attachment_id: UUID, change: Speaking
) -> Response:
    await service.remove_file(change, activity_id, speech_id, attachment_id)
    return Response(status_code=204)

"""Attachment routes of a proposal: parse → service → respond. The file is the raw request body
(its type in Content-Type, its name in X-Filename), as member-svc's uploads take theirs."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems, raw_body
from cppcc_common.uploads import ContentTypeHeader as ContentType
from cppcc_common.uploads import FileNameHeader as FileName
from cppcc_common.versioning import OptionalExpectedVersion
from proposal_svc.attachments import service
from proposal_svc.attachments.domain import Purpose
from proposal_svc.attachments.errors import (
    AttachmentContentMismatch,
    AttachmentEmpty,
    AttachmentNotFound,
    AttachmentTooLarge,
    InvalidFileName,
    SealOnlyForOrganizations,
    TooManyAttachments,
    UnsupportedAttachmentType,
)
from proposal_svc.attachments.schemas import AttachmentAdded, AttachmentRead
from proposal_svc.attachments.uploads import download, download_responses, header_doc, receive
from proposal_svc.handling.errors import ReplyNotFound
from proposal_svc.proposals.errors import ProposalInvalidTransition, ProposalNotFound, ProposalVersionMismatch
from proposal_svc.proposals.policy import DEFAULT_POLICY

router = APIRouter(prefix="/api/v1/proposals/{proposal_id}/attachments", tags=["attachments"])

# Who may reach the routes at all; which proposal is theirs is the proposal's own rule (rule 28).
WRITE = Permission("proposal.attachment.write", roles={"member"})
# Whoever may read the proposal (rule 28), its assigned unit's users and partner client included.
READ = Permission("proposal.attachment.read", roles={"member", "staff", "leader", "unit_user", "partner"})

Attaching = Annotated[Change, Changing(WRITE)]
Reader = Annotated[Principal, Depends(READ)]
# A reply letter's file: added by the unit that replied (its users, its partner client); read like the reply.
REPLY_WRITE = Permission("proposal.reply_attachment.write", roles={"unit_user", "partner"})
ReplyAttaching = Annotated[Change, Changing(REPLY_WRITE)]


@router.post(
    "",
    status_code=201,
    response_model=AttachmentAdded,
    responses={
        201: {"headers": {"Location": header_doc("the attachment")}},
        **problems(
            ProposalNotFound,
            ProposalInvalidTransition,
            ProposalVersionMismatch,
            AttachmentTooLarge,
            UnsupportedAttachmentType,
            AttachmentContentMismatch,
            AttachmentEmpty,
            InvalidFileName,
            TooManyAttachments,
            SealOnlyForOrganizations,
        ),
    },
    openapi_extra=raw_body(*DEFAULT_POLICY.attachment_types),
    summary="Attach a file to my draft (raw file body; an EDIT of the draft: If-Match optional)",
    description=(
        "文件作为请求体上传，Content-Type 为文件类型（组织策略允许的类型），X-Filename 为文件名。"
        "大小、类型、数量以组织策略为准；PDF、PNG、JPEG、Word、Excel 文件须名副其实。"
        "以组织名义提出的提案，盖章或签名页以 purpose=seal 上传（规则 2）。"
    ),
)
async def add_attachment(
    proposal_id: UUID,
    change: Attaching,
    request: Request,
    response: Response,
    content_type: ContentType,
    file_name: FileName,
    expected: OptionalExpectedVersion,
    purpose: Annotated[Purpose, Query(description="material：材料；seal：组织提案的盖章或签名页")] = (
        Purpose.MATERIAL
    ),
) -> AttachmentAdded:
    policy, upload = await receive(change, request, content_type, file_name, purpose)
    attachment, proposal = await service.add_to_proposal(change, proposal_id, upload, expected, policy)
    response.headers["Location"] = f"/api/v1/proposals/{proposal_id}/attachments/{attachment.id}"
    read = AttachmentRead.model_validate(attachment).model_dump()
    return AttachmentAdded(**read, proposal_version=proposal.version)


@router.get(
    "",
    response_model=list[AttachmentRead],
    responses=problems(ProposalNotFound),
    summary="The attachments of a proposal I may read (at most the policy's count)",
)
async def list_attachments(proposal_id: UUID, principal: Reader, session: SessionDep) -> list[AttachmentRead]:
    rows = await service.list_for_proposal(session, principal, proposal_id)
    return [AttachmentRead.model_validate(a) for a in rows]


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses=download_responses(ProposalNotFound, AttachmentNotFound),
    summary="Download an attachment of a proposal I may read",
)
async def download_attachment(
    proposal_id: UUID, attachment_id: UUID, principal: Reader, session: SessionDep
) -> Response:
    attachment, content = await service.read_from_proposal(session, principal, proposal_id, attachment_id)
    return download(attachment, content)


@router.delete(
    "/{attachment_id}",
    status_code=204,
    response_class=Response,
    responses=problems(
        ProposalNotFound, AttachmentNotFound, ProposalInvalidTransition, ProposalVersionMismatch
    ),
    summary="Remove an attachment from my draft (an EDIT of the draft: If-Match optional)",
)
async def remove_attachment(
    proposal_id: UUID, attachment_id: UUID, change: Attaching, expected: OptionalExpectedVersion
) -> Response:
    await service.remove_from_proposal(change, proposal_id, attachment_id, expected)
    return Response(status_code=204)


reply_router = APIRouter(
    prefix="/api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments", tags=["attachments"]
)


@reply_router.post(
    "",
    status_code=201,
    response_model=AttachmentRead,
    responses={
        201: {"headers": {"Location": header_doc("the attachment")}},
        **problems(
            ProposalNotFound,
            ReplyNotFound,
            AttachmentTooLarge,
            UnsupportedAttachmentType,
            AttachmentContentMismatch,
            AttachmentEmpty,
            InvalidFileName,
            TooManyAttachments,
        ),
    },
    openapi_extra=raw_body(*DEFAULT_POLICY.attachment_types),
    summary="Attach the letter's file to my unit's reply (raw file body; rule 15)",
    description=(
        "答复函附件：承办单位（用户或其对接系统）在提交答复后上传，请求体为文件，Content-Type 为文件类型，"
        "X-Filename 为文件名；大小、类型、数量以组织策略为准。提案人、提案委员会和本单位可下载。"
    ),
)
async def add_reply_attachment(
    proposal_id: UUID,
    reply_id: UUID,
    change: ReplyAttaching,
    request: Request,
    response: Response,
    content_type: ContentType,
    file_name: FileName,
) -> AttachmentRead:
    policy, upload = await receive(change, request, content_type, file_name, Purpose.MATERIAL)
    attachment = await service.add_to_reply(change, proposal_id, reply_id, upload, policy)
    response.headers["Location"] = (
        f"/api/v1/proposals/{proposal_id}/replies/{reply_id}/attachments/{attachment.id}"
    )
    return AttachmentRead.model_validate(attachment)


@reply_router.get(
    "",
    response_model=list[AttachmentRead],
    responses=problems(ProposalNotFound, ReplyNotFound),
    summary="The attachments of a reply I may read (a unit: its own reply's)",
)
async def list_reply_attachments(
    proposal_id: UUID, reply_id: UUID, principal: Reader, session: SessionDep
) -> list[AttachmentRead]:
    rows = await service.list_for_reply(session, principal, proposal_id, reply_id)
    return [AttachmentRead.model_validate(a) for a in rows]


@reply_router.get(
    "/{attachment_id}",
    response_class=Response,
    responses=download_responses(ProposalNotFound, ReplyNotFound, AttachmentNotFound),
    summary="Download an attachment of a reply I may read",
)
async def download_reply_attachment(
    proposal_id: UUID, reply_id: UUID, attachment_id: UUID, principal: Reader, session: SessionDep
) -> Response:
    attachment, content = await service.read_from_reply(
        session, principal, proposal_id, reply_id, attachment_id
    )
    return download(attachment, content)

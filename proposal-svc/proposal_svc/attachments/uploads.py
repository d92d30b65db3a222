"""What every file route of proposal-svc shares (a proposal's, a reply's, a public-opinion report's
attachments), so that no router imports another: the upload read under the organization's rules,
the download and its documented answer."""

from typing import Any

from fastapi import Request, Response

from cppcc_common.attachments import DOWNLOAD_HEADERS_DOC, download_headers
from cppcc_common.change import Change
from cppcc_common.errors import AppError
from cppcc_common.openapi import problems
from cppcc_common.uploads import read_limited_body
from proposal_svc.attachments import domain, service
from proposal_svc.attachments.domain import Purpose, Upload
from proposal_svc.attachments.models import Attachment
from proposal_svc.proposals.policy import DEFAULT_POLICY, ProposalPolicy

_BINARY = {"schema": {"type": "string", "format": "binary"}}


def header_doc(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


async def receive(
    change: Change, request: Request, content_type: str, file_name: str, purpose: Purpose
) -> tuple[ProposalPolicy, Upload]:
    """The caller's organization's policy (read once) and the upload: 415 before a byte is read,
    413 while the bytes stream in beyond the policy's size."""
    policy = await service.policy(change)
    domain.admitted_type(content_type, policy)
    content = await read_limited_body(request, policy.attachment_max_bytes, domain.size_limit(policy))
    return policy, Upload(file_name=file_name, content_type=content_type, purpose=purpose, content=content)


def download(attachment: Attachment, content: bytes) -> Response:
    """The file as uploaded, with its name and digest."""
    return Response(
        content,
        media_type=attachment.content_type,
        headers=download_headers(attachment.file_name, attachment.sha256),
    )


def download_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a download route: the file in any admitted type, or `errors`."""
    return {
        200: {
            "description": "the file as uploaded",
            "content": {t: _BINARY for t in DEFAULT_POLICY.attachment_types},
            "headers": {name: header_doc(text) for name, text in DOWNLOAD_HEADERS_DOC.items()},
        },
        **problems(*errors),
    }

"""The HTTP side of a consultation object's files, the same for an activity's materials, a speech's
files and an outcome's attachments: the file is the raw request body (its type in Content-Type, its
name in X-Filename), refused before a byte is read when the organization's policy does not admit
its type, and sent back with the download headers of `cppcc_common.attachments`. The owning
context's router declares the route, its permission and its own errors; these are the rest."""

from typing import Any

from fastapi import Request, Response

from consultation_svc.attachments.models import Attachment
from cppcc_common.attachments import (
    DOWNLOAD_HEADERS_DOC,
    AttachmentContentMismatch,
    AttachmentEmpty,
    AttachmentNotFound,
    AttachmentRules,
    AttachmentTooLarge,
    InvalidFileName,
    TooManyAttachments,
    UnsupportedAttachmentType,
    Upload,
    admitted_type,
    clean_file_name,
    download_headers,
    size_limit,
)
from cppcc_common.errors import AppError
from cppcc_common.openapi import problems, raw_body
from cppcc_common.uploads import read_limited_body

# What an upload may answer beyond the owner's own errors.
ADMISSION = (
    AttachmentTooLarge,
    UnsupportedAttachmentType,
    AttachmentContentMismatch,
    AttachmentEmpty,
    InvalidFileName,
    TooManyAttachments,
)
_TEXT = {"schema": {"type": "string"}}
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def upload_doc(types: tuple[str, ...], *errors: type[AppError]) -> dict[str, Any]:
    """`responses=` and `openapi_extra=` of an upload route: 201 with Location, the owner's errors
    and the admission's; the raw body in any type the default policy admits."""
    return {
        "responses": {
            201: {"headers": {"Location": {"description": "the attachment", **_TEXT}}},
            **problems(*errors, *ADMISSION),
        },
        "openapi_extra": raw_body(*types),
    }


def download_doc(types: tuple[str, ...], *errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a download route: the file as uploaded with its headers, the owner's errors
    and a missing attachment."""
    return {
        200: {
            "description": "the file as uploaded",
            "content": {t: _BINARY for t in types},
            "headers": {name: {"description": text, **_TEXT} for name, text in DOWNLOAD_HEADERS_DOC.items()},
        },
        **problems(*errors, AttachmentNotFound),
    }


async def receive(
    request: Request, content_type: str, file_name: str, rules: AttachmentRules, purpose: str
) -> Upload:
    """The file of the request: 415 for a type the policy does not admit and 422 for a bad name,
    both before a byte is read; 413 as soon as the body passes the policy's size."""
    admitted_type(content_type, rules)
    name = clean_file_name(file_name)
    content = await read_limited_body(request, rules.attachment_max_bytes, size_limit(rules))
    return Upload(file_name=name, content_type=content_type, purpose=purpose, content=content)


def file_response(attachment: Attachment, content: bytes) -> Response:
    """A download: the bytes as uploaded, their type, name and digests."""
    headers = download_headers(attachment.file_name, attachment.sha256)
    return Response(content, media_type=attachment.content_type, headers=headers)

"""Reading a file sent as the raw request body, refused with 413 as soon as it passes its limit.

The transport limit (`ServiceSettings.upload_limits`, `BodySizeLimitMiddleware`) only bounds what a
path can ever take; a route's own limit (an organization's policy) is usually smaller and answers
first, with its own error, from the declared Content-Length before a byte is read, or while the body
streams in (chunked bodies declare none).
"""

from typing import Annotated

from fastapi import Header, Request

from cppcc_common.errors import AppError
from cppcc_common.validation import HeaderText

# The headers of a file sent as the raw body (every attachment route: proposals, replies, reports,
# activity materials, speeches, outcomes).
FileNameHeader = Annotated[
    HeaderText,
    Header(
        alias="X-Filename",
        max_length=1200,
        description="文件名，UTF-8 百分号编码 / the file name, percent-encoded UTF-8",
        examples=["%E9%99%84%E4%BB%B6.pdf"],  # 附件.pdf
    ),
]
ContentTypeHeader = Annotated[str, Header(alias="Content-Type", max_length=200)]


async def read_limited_body(request: Request, limit: int, too_large: AppError) -> bytes:
    """The request body, or `too_large` raised once it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)

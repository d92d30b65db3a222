"""Reading a file sent as the raw request body, refused with 413 as soon as it passes its limit.

The transport limit (`ServiceSettings.upload_limits`, `BodySizeLimitMiddleware`) only bounds what a
path can ever take; a route's own limit (an organization's policy) is usually smaller and answers
first, with its own error, from the declared Content-Length before a byte is read, or while the body
streams in (chunked bodies declare none).
"""

from fastapi import Request

from cppcc_common.errors import AppError


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

"""Renders every error of an app as RFC 9457 problem+json (the error types: `cppcc_common.errors`).

Messages are Chinese by default and English with `Accept-Language: en`. No stack trace, SQL or
internal name ever reaches a client; anything unexpected is a logged 500 with a generic body.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cppcc_common.errors import (
    PROBLEM_JSON,
    AppError,
    InternalError,
    ValidationFailed,
    database_problem,
    field_errors,
    loaded_error_types,
    sqlstate,
    unreachable_errors,
)
from cppcc_common.text import Text, negotiate_language

log = logging.getLogger("cppcc.errors")

_HTTP_CODES: dict[int, tuple[str, Text]] = {
    400: ("bad_request", Text("请求有误", "Bad request")),
    404: ("not_found", Text("资源不存在", "Not found")),
    405: ("method_not_allowed", Text("不支持该请求方法", "Method not allowed")),
    406: ("not_acceptable", Text("无法提供所需格式", "Not acceptable")),
    413: ("payload_too_large", Text("请求内容过大", "Payload too large")),
    415: ("unsupported_media_type", Text("不支持的内容类型", "Unsupported media type")),
}


def problem_response(request: Request, error: AppError) -> JSONResponse:
    lang = negotiate_language(request.headers.get("accept-language"))
    body = error.problem(lang, request.url.path)
    headers = {"Content-Language": "en" if lang == "en" else "zh-CN", **error.headers}
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers)


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = negotiate_language(request.headers.get("accept-language"))
    return problem_response(request, ValidationFailed(errors=field_errors(list(exc.errors()), lang)))


_UNPARSABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        # A body FastAPI cannot even decode (bytes that are not UTF-8) is the same mistake as a body
        # that is not JSON: 422 `json_invalid`, the status the document names for a bad body.
        lang = negotiate_language(request.headers.get("accept-language"))
        raw = [{"type": "json_invalid", "loc": ("body",)}]
        return problem_response(request, ValidationFailed(errors=field_errors(raw, lang)))
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", Text("请求失败", "Request failed")))
    error = AppError(headers=dict(exc.headers or {}))
    error.status = exc.status_code  # type: ignore[misc]
    error.code = code  # type: ignore[misc]
    error.title = title  # type: ignore[misc]
    return problem_response(request, error)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    problem = database_problem(exc)
    if problem is None:
        return await _unexpected(request, exc)
    log.warning(
        "database error answered %s",
        problem.status,
        extra={"path": request.url.path, "error": type(exc).__name__, "sqlstate": sqlstate(exc)},
    )
    return problem_response(request, problem)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Errors raised in a middleware (the idempotency store) reach only this catch-all handler.
    problem = database_problem(exc)
    if problem is not None:
        return problem_response(request, problem)
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(request, InternalError())


def install_error_handlers(app: FastAPI) -> None:
    """Render every error of the app as problem+json."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in (*loaded_error_types("sqlalchemy.exc", "DBAPIError"), *unreachable_errors()):
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unexpected)

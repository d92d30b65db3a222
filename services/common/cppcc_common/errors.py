"""Errors are types with an HTTP status and a stable code; one handler renders problem+json
(`cppcc_common.error_handlers`). This module is pure — no web framework — so that domain modules
may raise these errors (the import contracts keep `**.domain` free of FastAPI and Starlette).

RFC 9457 body: type, title, status, detail, instance, plus `code` and (for validation) `errors`.
Messages are Chinese by default and English with `Accept-Language: en`. No stack trace, SQL or
internal name ever reaches a client; anything unexpected is a logged 500 with a generic body.
What the database refuses as data is 422 `invalid_data`; an unreachable database is 503
`service_unavailable` with `Retry-After`.
"""

import sys
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from cppcc_common.text import Text

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://errors.cppcc.example/"


class AppError(Exception):
    """Base of every error a client may see. Subclasses set status, code, title, and detail."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[Text] = Text("请求有误", "Bad request")
    detail: ClassVar[Text | None] = None
    # True: the unit of work commits what the request did before this error was raised.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: Text | None = None,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
        **params: object,
    ) -> None:
        self.instance_detail = detail or self.detail
        self.params = params
        self.headers = headers or {}
        self.errors = errors
        super().__init__(self.code)

    def problem(self, lang: str, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.code.replace(".", "/"),
            "title": self.title.render(lang),
            "status": self.status,
            "code": self.code,
            "instance": instance,
        }
        if self.instance_detail is not None:
            body["detail"] = self.instance_detail.render(lang, **self.params)
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def violation_errors(
    violations: Iterable[tuple[str, str]], messages: Mapping[str, Text], **params: object
) -> list[dict[str, Any]]:
    """The `errors` of a 422: each (field, code) violated with its message in Chinese and English
    (`{name}` placeholders filled from `params`)."""
    return [
        {
            "field": field,
            "code": code,
            "message": messages[code].render("zh", **params),
            "message_en": messages[code].render("en", **params),
        }
        for field, code in violations
    ]


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = Text("资源不存在", "Not found")
    detail = Text("请求的资源不存在或无权访问。", "The resource does not exist or is not visible to you.")


class Unauthenticated(AppError):
    status = 401
    code = "auth.unauthenticated"
    title = Text("未登录或登录已过期", "Not authenticated")
    detail = Text("请提供有效的访问令牌。", "A valid access token is required.")


class Forbidden(AppError):
    status = 403
    code = "auth.forbidden"
    title = Text("无权执行此操作", "Forbidden")
    detail = Text("您的角色无权执行此操作。", "Your role does not allow this action.")


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = Text("操作冲突", "Conflict")


class InvalidTransition(AppError):
    status = 409
    code = "invalid_transition"
    title = Text("当前状态不允许此操作", "Action not allowed in the current state")
    detail = Text(
        "当前状态“{status}”不允许执行“{action}”。", "Action '{action}' is not allowed in status '{status}'."
    )


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    title = Text("数据已被修改", "Precondition failed")
    detail = Text("资源已被他人修改，请刷新后重试。", "The resource changed; reload and try again.")


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = Text("请求内容过大", "Payload too large")


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    title = Text("提交的数据不符合要求", "Validation failed")


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    title = Text("请求过于频繁", "Too many requests")
    detail = Text("请在 {retry_after} 秒后重试。", "Retry in {retry_after} seconds.")


class InternalError(AppError):
    status = 500
    code = "internal_error"
    title = Text("服务器内部错误", "Internal server error")
    detail = Text("服务暂时出现问题，请稍后重试。", "Something went wrong on our side; please retry later.")


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    title = Text("服务暂不可用", "Service unavailable")


RETRY_AFTER_SECONDS = 5


class DependencyUnavailable(ServiceUnavailable):
    """The database (or another dependency) cannot be reached: the client may retry shortly."""

    detail = Text("服务暂时不可用，请稍后重试。", "The service is temporarily unavailable; retry shortly.")

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


# Pydantic error types rendered in Chinese; anything else falls back to a generic sentence.
_FIELD_MESSAGES: dict[str, Text] = {
    "missing": Text("必填项缺失", "Field required"),
    "extra_forbidden": Text("不允许的字段", "Unknown field not allowed"),
    "string_too_long": Text(
        "内容过长（最多 {max_length} 个字符）", "Too long (at most {max_length} characters)"
    ),
    "string_too_short": Text(
        "内容过短（至少 {min_length} 个字符）", "Too short (at least {min_length} characters)"
    ),
    "too_long": Text("条目过多（最多 {max_length} 项）", "Too many items (at most {max_length})"),
    "too_short": Text("条目过少（至少 {min_length} 项）", "Too few items (at least {min_length})"),
    "string_type": Text("应为文本", "Must be a string"),
    "int_parsing": Text("应为整数", "Must be an integer"),
    "int_type": Text("应为整数", "Must be an integer"),
    "uuid_parsing": Text("应为合法的 UUID", "Must be a valid UUID"),
    "uuid_type": Text("应为合法的 UUID", "Must be a valid UUID"),
    "json_invalid": Text("JSON 格式错误", "Invalid JSON"),
    "model_attributes_type": Text("应为 JSON 对象", "Must be a JSON object"),
    "dict_type": Text("应为 JSON 对象", "Must be a JSON object"),
    "list_type": Text("应为列表", "Must be a list"),
    "enum": Text("取值不在允许范围内", "Not an allowed value"),
    "literal_error": Text("取值不在允许范围内", "Not an allowed value"),
    "greater_than_equal": Text("应不小于 {ge}", "Must be at least {ge}"),
    "less_than_equal": Text("应不大于 {le}", "Must be at most {le}"),
    "bool_parsing": Text("应为布尔值", "Must be a boolean"),
    "datetime_parsing": Text("应为 RFC 3339 时间", "Must be an RFC 3339 date-time"),
    "date_parsing": Text("应为日期（YYYY-MM-DD）", "Must be a date (YYYY-MM-DD)"),
    "value_error": Text("取值无效", "Invalid value"),
    "control_character": Text(
        "不能包含控制字符（换行和制表符除外）",
        "Control characters other than newline and tab are not allowed",
    ),
    "date_out_of_range": Text("日期须在 {min} 至 {max} 之间", "The date must lie between {min} and {max}"),
    "timezone_aware": Text("时间须带时区偏移（RFC 3339）", "The time must carry an offset (RFC 3339)"),
    "number_out_of_range": Text("数值超出允许范围", "The number is out of range"),
    "null_not_allowed": Text("此项可以省略，但不能为 null", "This field may be omitted but not null"),
    "too_deep": Text("嵌套层级过深", "The value is nested too deeply"),
}
_GENERIC_FIELD = Text("取值无效", "Invalid value")


def field_errors(raw: list[Any], lang: str) -> list[dict[str, Any]]:
    """Pydantic's errors as `[{field, code, message}]`, without echoing the input back."""
    out = []
    for err in raw:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, int | float | str)}
        text = _FIELD_MESSAGES.get(err.get("type", ""), _GENERIC_FIELD)
        try:
            message = text.render(lang, **ctx)
        except (KeyError, IndexError):
            message = _GENERIC_FIELD.render(lang)
        out.append({"field": ".".join(loc) or "body", "code": err.get("type", "invalid"), "message": message})
    return out


class InvalidData(AppError):
    """Input the schema let through but the database refuses as data (SQLSTATE class 22: a NUL
    character in text, a number or date out of range): the client's input, so 422, never 500."""

    status = 422
    code = "invalid_data"
    title = Text("提交的数据包含无法保存的内容", "The data contains values that cannot be stored")
    detail = Text(
        "请检查文本中的特殊字符以及数值、日期的范围。",
        "Check for control characters and out-of-range numbers or dates.",
    )


# SQLSTATEs of a database that cannot be reached or is going away (class 08 too).
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "53300"}


def loaded_error_types(module: str, *names: str) -> tuple[type[Exception], ...]:
    """Error types of a database library if this process loaded it, else none.

    Looked up, not imported: the gateway loads no database library (the import contracts of
    pyproject.toml), and an error of a library that was never imported cannot be raised."""
    loaded = sys.modules.get(module)
    return () if loaded is None else tuple(getattr(loaded, name) for name in names)


def unreachable_errors() -> tuple[type[Exception], ...]:
    """Errors of an unreachable peer: refused or reset connections, a missing socket, a lookup or
    connect timeout, a pool with no free connection (SQLAlchemy's TimeoutError)."""
    return (
        OSError,
        *loaded_error_types("sqlalchemy.exc", "TimeoutError"),
        *loaded_error_types("asyncpg", "PostgresConnectionError"),
    )


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error, wrapped by SQLAlchemy or raw from asyncpg; "" if none."""
    for candidate in (getattr(exc, "orig", None), exc, exc.__cause__):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return ""


def database_problem(exc: BaseException) -> AppError | None:
    """What a database error means to the client: 422 for data it refuses, 503 when it cannot be
    reached; None for anything else (a bug: 500)."""
    state = sqlstate(exc)
    if (
        state.startswith("22")
        or state == "23502"
        or isinstance(exc, loaded_error_types("sqlalchemy.exc", "DataError"))
    ):
        return InvalidData()
    orig = getattr(exc, "orig", None)
    unreachable = unreachable_errors()
    if (
        state.startswith("08")
        or state in _UNAVAILABLE_STATES
        or getattr(exc, "connection_invalidated", False)
        or isinstance(exc, unreachable)
        or isinstance(orig, unreachable)
        or isinstance(getattr(orig, "__cause__", None), unreachable)
    ):
        return DependencyUnavailable()
    return None

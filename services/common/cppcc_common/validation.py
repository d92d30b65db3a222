"""What a client may send, checked at the edge so the database never meets a value it refuses.

- Text: no NUL, no other C0/C1 control character except newline and tab, no lone surrogate
  (PostgreSQL stores none of them, and no person types them); CRLF is stored as LF.
- Dates and times: within `BUSINESS_DATES` (1900-01-01 to 2199-12-31), so date arithmetic near
  them never overflows; times carry an offset (a naive time is ambiguous).
- Numbers: integers within PostgreSQL's bigint and finite floats, wherever they arrive (typed
  fields also declare their own, narrower bounds).

`RequestModel` applies all of this to every value of a request body, nested ones included, and
refuses unknown fields; `PatchModel` also refuses an explicit null for a field whose type does not
admit one. `CleanStr`, `HeaderText`, `BoundedDate` and `BoundedDatetime` are the same checks for
query, header and path parameters and for fields that want them in the OpenAPI document.
"""

import contextlib
import math
import re
import types
from datetime import date, datetime
from typing import Annotated, Any, Self, Union, get_args, get_origin
from urllib.parse import unquote

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

BUSINESS_DATES = (date(1900, 1, 1), date(2199, 12, 31))
BIGINT = (-(2**63), 2**63 - 1)
MAX_DEPTH = 32

# C0 except tab (09) and newline (0a), DEL, C1, and UTF-16 surrogates (not encodable as UTF-8).
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _error(kind: str) -> PydanticCustomError:
    messages = {
        "control_character": "Control characters other than newline and tab are not allowed",
        "date_out_of_range": "The date must lie between {min} and {max}",
        "number_out_of_range": "The number is out of range",
        "null_not_allowed": "This field may be omitted but not null",
        "too_deep": "The value is nested too deeply",
    }
    lo, hi = BUSINESS_DATES
    return PydanticCustomError(kind, messages[kind], {"min": lo.isoformat(), "max": hi.isoformat()})


def clean_text(value: str) -> str:
    """The text with CRLF as LF; refused if it holds a character the database or a reader cannot take."""
    value = value.replace("\r\n", "\n")
    if _FORBIDDEN.search(value):
        raise _error("control_character")
    return value


def check_date(value: date) -> date:
    """A date (or the local date of a time) within `BUSINESS_DATES`."""
    day = value.date() if isinstance(value, datetime) else value
    if not BUSINESS_DATES[0] <= day <= BUSINESS_DATES[1]:
        raise _error("date_out_of_range")
    return value


def check_datetime(value: datetime) -> datetime:
    """An offset-carrying time within `BUSINESS_DATES`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("timezone_aware", "Input should have timezone info")
    check_date(value)
    return value


def _header_text(value: Any) -> Any:
    """A header's text: percent-encoded UTF-8 (`%E5%B9%B4…`, what browsers and HTTP libraries can
    send, as they refuse non-Latin-1 header values) or raw UTF-8 bytes, which arrive decoded as
    Latin-1 and are recovered (a Chinese file name either way)."""
    if isinstance(value, str):
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("latin-1").decode("utf-8")
        return unquote(value, errors="strict") if "%" in value else value
    return value


CleanStr = Annotated[str, AfterValidator(clean_text)]
HeaderText = Annotated[str, BeforeValidator(_header_text), AfterValidator(clean_text)]
BoundedDate = Annotated[date, AfterValidator(check_date)]
BoundedDatetime = Annotated[AwareDatetime, AfterValidator(check_datetime)]


Loc = tuple[str | int, ...]


def _clean(value: Any, loc: Loc, errors: list[InitErrorDetails]) -> Any:
    """The raw input with every string cleaned; what cannot be stored is listed in `errors`."""
    if len(loc) > MAX_DEPTH:
        errors.append(InitErrorDetails(type=_error("too_deep"), loc=loc, input=None))
        return value
    if isinstance(value, str):
        try:
            return clean_text(value)
        except PydanticCustomError as exc:
            errors.append(InitErrorDetails(type=exc, loc=loc, input=value))
            return value
    if isinstance(value, dict):
        return {
            _clean(k, (*loc, str(k)), errors): _clean(v, (*loc, str(k)), errors) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(v, (*loc, i), errors) for i, v in enumerate(value)]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not BIGINT[0] <= value <= BIGINT[1]:
        errors.append(InitErrorDetails(type=_error("number_out_of_range"), loc=loc, input=value))
    if isinstance(value, float) and not math.isfinite(value):
        errors.append(InitErrorDetails(type=_error("number_out_of_range"), loc=loc, input=value))
    return value


def _check_times(value: Any, loc: Loc, errors: list[InitErrorDetails]) -> None:
    """Every date and time in a validated value, however it was declared."""
    if len(loc) > MAX_DEPTH:
        return
    try:
        if isinstance(value, datetime):
            check_datetime(value)
        elif isinstance(value, date):
            check_date(value)
    except PydanticCustomError as exc:
        errors.append(InitErrorDetails(type=exc, loc=loc, input=value.isoformat()))
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _check_times(getattr(value, name), (*loc, name), errors)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_times(v, (*loc, str(k)), errors)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            _check_times(v, (*loc, i), errors)


def _raise(title: str, errors: list[InitErrorDetails]) -> None:
    if errors:
        raise ValidationError.from_exception_data(title, errors)


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused, and every string, date, time and
    number in it, at any depth, is checked as the module says."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _clean_input(cls, data: Any) -> Any:
        errors: list[InitErrorDetails] = []
        cleaned = _clean(data, (), errors)
        _raise(cls.__name__, errors)
        return cleaned

    @model_validator(mode="after")
    def _times_in_range(self) -> Self:
        errors: list[InitErrorDetails] = []
        _check_times(self, (), errors)
        _raise(type(self).__name__, errors)
        return self


def _admits_none(annotation: Any) -> bool:
    if annotation is None or annotation is type(None) or annotation is Any:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_admits_none(a) for a in get_args(annotation))
    if get_origin(annotation) is Annotated:
        return _admits_none(get_args(annotation)[0])
    return False


def _absent() -> None:
    return None


class PatchModel(RequestModel):
    """Base of every PATCH body. Every field may be omitted (left unchanged, see `model_dump(
    exclude_unset=True)`); declare each with the type the stored value has: an explicit null is
    accepted only where that type admits None (a nullable column), else refused with 422."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        required = [f for f in cls.model_fields.values() if f.is_required()]
        for field in required:
            # A factory, not a default: the document then shows no misleading `"default": null`.
            field.default_factory = _absent
        if required:
            cls.model_rebuild(force=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nulls(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        errors = [
            InitErrorDetails(type=_error("null_not_allowed"), loc=(name,), input=None)
            for name, field in cls.model_fields.items()
            if data.get(field.alias or name, 0) is None and not _admits_none(field.annotation)
        ]
        _raise(cls.__name__, errors)
        return data

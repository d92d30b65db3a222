"""Cursor pagination: opaque cursors over a stable (time, id) order, capped page sizes."""

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from cppcc_common.errors import ValidationFailed
from cppcc_common.text import Text
from cppcc_common.validation import check_datetime

MAX_LIMIT = 100
T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def page_of(rows: Sequence[Any], limit: int) -> tuple[list[Any], str | None]:
    """Rows fetched with `limit + 1` (ordered by created_at, id descending) → the page and the next cursor."""
    page = list(rows[:limit])
    more = len(rows) > limit
    return page, encode_cursor(page[-1].created_at, page[-1].id) if more else None


def encode_cursor(at: datetime, id: UUID) -> str:
    raw = json.dumps([at.isoformat(), str(id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_BAD_CURSOR = Text("分页游标无效。", "The page cursor is invalid.")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The (time, id) a cursor names; 422 unless the time carries an offset and lies in the business
    range (a client can forge any cursor, and the database refuses some times)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, id = json.loads(base64.urlsafe_b64decode(padded))
        return check_datetime(datetime.fromisoformat(at)), UUID(id)
    except (ValueError, TypeError, AttributeError, PydanticCustomError) as exc:
        raise ValidationFailed(
            _BAD_CURSOR, errors=[{"field": "cursor", "code": "invalid_cursor", "message": _BAD_CURSOR.zh}]
        ) from exc


# One default page size for every collection (DESIGN.md §5).
DEFAULT_LIMIT = 20


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        _BAD_CURSOR, errors=[{"field": "cursor", "code": "invalid_cursor", "message": _BAD_CURSOR.zh}]
    )


def encode_id_cursor(id: UUID) -> str:
    """A cursor naming the last row of a page, for lists ordered by something other than time."""
    return base64.urlsafe_b64encode(id.bytes).decode().rstrip("=")


def decode_id_cursor(cursor: str) -> UUID:
    try:
        return UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise invalid_cursor() from exc


def page_after(rows: Sequence[Any], limit: int) -> tuple[list[Any], str | None]:
    """Rows fetched with `limit + 1` → the page and a cursor naming its last row (by id)."""
    page = list(rows[:limit])
    return page, encode_id_cursor(page[-1].id) if len(rows) > limit else None

"""Optimistic concurrency over HTTP: `ETag: "<version>"` out, `If-Match` in (412 when stale)."""

from typing import Annotated

from fastapi import Depends, Header

from cppcc_common.errors import PreconditionFailed


def _expected_version(
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=40)] = None,
) -> int | None:
    """The version the client last saw, or None without If-Match; an unparsable tag never matches."""
    if not if_match:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() else -1


ExpectedVersion = Annotated[int | None, Depends(_expected_version)]


def check_version(current: int, expected: int | None) -> None:
    """412 when the client's If-Match names another version than the current one."""
    if expected is not None and expected != current:
        raise PreconditionFailed()


def etag(version: int) -> str:
    return f'"{version}"'

"""Optimistic concurrency over HTTP: `ETag: "<version>"` out, `If-Match` in (RFC 9110 §13.1.1).

An update of a versioned resource (`ExpectedVersion`) requires If-Match: 428 without it, 412
when no listed tag matches, 400 when the header is not an entity-tag list. Comparison is strong:
a weak tag (`W/"1"`) never matches; `*` matches any existing resource. Actions that take an
optional precondition use `OptionalExpectedVersion`.
"""

import re
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import Depends, Header

from cppcc_common.errors import AppError, PreconditionFailed
from cppcc_common.text import Text

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3)
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_MAX_LENGTH = 200


class PreconditionRequired(AppError):
    status = 428
    code = "precondition_required"
    title = Text("缺少版本条件", "Precondition required")
    detail = Text(
        "修改此资源需要携带 If-Match（上次读取时的 ETag）。",
        "Updating this resource needs If-Match with the ETag you last read.",
    )


class MalformedIfMatch(AppError):
    status = 400
    code = "bad_if_match"
    title = Text("If-Match 格式错误", "Malformed If-Match")
    detail = Text(
        'If-Match 应为 * 或以逗号分隔的实体标签，例如 "3"。',
        'If-Match must be * or a comma-separated list of entity tags, such as "3".',
    )


@dataclass(frozen=True)
class IfMatch:
    """A parsed If-Match: `*`, or the versions its strong tags name (other tags never match)."""

    any: bool = False
    versions: frozenset[int] = frozenset()

    ANY: ClassVar["IfMatch"]

    def matches(self, version: int) -> bool:
        return self.any or version in self.versions


IfMatch.ANY = IfMatch(any=True)


def _version_of(weak: str | None, opaque: str) -> int | None:
    """A strong tag naming one of our versions ("12"); anything else cannot match."""
    if weak or not opaque.isascii() or not opaque.isdigit() or len(opaque) > 18:
        return None
    return int(opaque)


def parse_if_match(value: str) -> IfMatch:
    """`*` or `#entity-tag` (RFC 9110 §13.1.1); anything else raises MalformedIfMatch (400)."""
    value = value.strip(" \t")
    if value == "*":
        return IfMatch.ANY
    if len(value) > _MAX_LENGTH:
        raise MalformedIfMatch()
    versions: set[int] = set()
    elements = [e.strip(" \t") for e in value.split(",")]
    for element in elements:
        if not element:
            continue  # the list syntax allows empty elements ("1", , "2")
        match = _ENTITY_TAG.fullmatch(element)
        if match is None:
            raise MalformedIfMatch()
        version = _version_of(match.group(1), match.group(2))
        if version is not None:
            versions.add(version)
    if not any(elements):
        raise MalformedIfMatch()
    return IfMatch(versions=frozenset(versions))


_IF_MATCH_DOC = 'ETag of the version you last read, e.g. "3"; * for any; a weak tag never matches'


async def _required(
    if_match: Annotated[str | None, Header(alias="If-Match", description=_IF_MATCH_DOC)] = None,
) -> IfMatch:
    if if_match is None or not if_match.strip(" \t"):
        raise PreconditionRequired()
    return parse_if_match(if_match)


async def _optional(
    if_match: Annotated[str | None, Header(alias="If-Match", description=_IF_MATCH_DOC)] = None,
) -> IfMatch | None:
    if if_match is None or not if_match.strip(" \t"):
        return None
    return parse_if_match(if_match)


# Updates of a versioned resource: If-Match is required (428 without it).
ExpectedVersion = Annotated[IfMatch, Depends(_required)]
# Actions that check a version only when the client sends one.
OptionalExpectedVersion = Annotated[IfMatch | None, Depends(_optional)]
# For the OpenAPI document: which dependency means what.
REQUIRES_IF_MATCH = _required
ACCEPTS_IF_MATCH = _optional


def check_version(
    current: int, expected: IfMatch | None, *, error: type[PreconditionFailed] = PreconditionFailed
) -> None:
    """412 (`error`, a context's own code for it) when the client's If-Match names none of the
    current version. The one version check every write path uses."""
    if expected is not None and not expected.matches(current):
        raise error()


def etag(version: int) -> str:
    return f'"{version}"'

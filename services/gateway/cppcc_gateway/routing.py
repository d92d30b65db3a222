"""Which service owns which path (by prefix), which paths need no token, and the one canonical form
of a request's path that the gateway routes on and forwards."""

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from cppcc_common.errors import AppError, NotFound
from cppcc_common.middleware import send_problem
from cppcc_common.text import Text


@dataclass(frozen=True)
class Route:
    prefix: str
    upstream: str  # member | proposal | consultation | notify


# Each prefix owns documented operations of its service (tests/test_gateway_routes.py checks the
# table against every service's OpenAPI document, both ways).
ROUTES: tuple[Route, ...] = (
    Route("/api/v1/auth/", "member"),
    Route("/api/v1/me", "member"),
    Route("/api/v1/orgs", "member"),
    Route("/api/v1/members", "member"),
    Route("/api/v1/units", "member"),
    Route("/api/v1/duty", "member"),
    Route("/api/v1/partner-clients", "member"),
    Route("/api/v1/sectors", "member"),
    Route("/api/v1/parties", "member"),
    Route("/api/v1/committees", "member"),
    Route("/.well-known/jwks.json", "member"),
    Route("/api/v1/proposals", "proposal"),
    Route("/api/v1/opinions", "proposal"),  # public-opinion reports (docs/opinions.md)
    Route("/api/v1/consultations", "consultation"),
    Route("/api/v1/inbox", "notify"),
    Route("/api/v1/devices", "notify"),  # push devices (docs/notify.md)
    Route("/api/v1/preferences", "notify"),  # notification channels, language, quiet hours
    Route("/api/v1/webhooks", "notify"),  # partner systems' webhook endpoints (docs/webhooks.md)
)

# Paths a caller reaches without an access token (each service still declares them PUBLIC itself).
PUBLIC_PATHS = frozenset(
    {
        "/api/v1/auth/login",
        "/api/v1/auth/login/sms",
        "/api/v1/auth/sms-codes",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/password/reset",
        "/api/v1/auth/token",
        "/.well-known/jwks.json",
    }
)
# What the public reads without signing in (rule 20: published proposals and their replies; a
# member's calendar feed, whose secret link is its credential): every path under these prefixes
# passes without a token, rate-limited per client IP instead.
PUBLIC_READ_PREFIXES = ("/api/v1/proposals/published", "/api/v1/consultations/calendar-feeds")
# Credential-guessing surfaces: rate-limited per client IP at the gateway.
LOGIN_PATHS = frozenset(
    {
        "/api/v1/auth/login",
        "/api/v1/auth/login/sms",
        "/api/v1/auth/sms-codes",
        "/api/v1/auth/password/reset",
        "/api/v1/auth/token",
    }
)


def is_public_read(path: str) -> bool:
    """A path under a public-read prefix (whole segments only)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PUBLIC_READ_PREFIXES)


def upstream_for(path: str) -> str | None:
    """The owning upstream of a path; prefixes match whole segments only."""
    for route in ROUTES:
        prefix = route.prefix
        if path == prefix.rstrip("/") or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
            return route.upstream
    return None


class MalformedPath(AppError):
    status = 400
    code = "gateway.malformed_path"
    title = Text("请求路径无效", "Malformed path")
    detail = Text(
        "请求路径或查询参数包含无法识别的字符、编码的斜杠或“.”“..”路径段。",
        "The path or query holds characters that cannot be parsed, an encoded slash, or '.'/'..' segments.",
    )


# A raw segment: printable ASCII, each % starting a two-digit escape; no raw backslash (some
# servers read it as a separator).
_RAW_SEGMENT = re.compile(rb"(?:[\x21-\x24\x26-\x2e\x30-\x5b\x5d-\x7e]|%[0-9A-Fa-f]{2})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_QUERY = re.compile(rb"[\x21-\x7e]*")
# Characters a path segment may carry unescaped (RFC 3986 pchar without pct-encoded).
_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"


# A path of plain segments (no escape, no dot segment, nothing empty) is its own canonical form.
_PLAIN_PATH = re.compile(rb"(?:/[A-Za-z0-9!$&'()*+,;=:@\-._~]+)+")
_DOT_SEGMENT = re.compile(rb"/\.\.?(?=/|$)")


def canonical_path(raw: bytes) -> tuple[str, bytes]:
    """The decoded path and its canonical encoding, for a raw request path.

    Each segment is percent-decoded exactly once. Dot segments (also encoded), encoded slashes and
    backslashes, control characters, malformed escapes and invalid UTF-8 are `MalformedPath` (400);
    empty segments (`//`, a trailing `/`) name nothing we serve (404). A plain path (every request
    of the API) is answered as it is, without decoding and re-encoding each segment.
    """
    if _PLAIN_PATH.fullmatch(raw) and not _DOT_SEGMENT.search(raw):
        return raw.decode("ascii"), raw
    return _decoded(raw)


def _decoded(raw: bytes) -> tuple[str, bytes]:
    if raw == b"/":
        return "/", b"/"
    if not raw.startswith(b"/"):
        raise MalformedPath()
    segments: list[str] = []
    for part in raw[1:].split(b"/"):
        if not _RAW_SEGMENT.fullmatch(part):
            raise MalformedPath()
        try:
            text = unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPath() from None
        if text in (".", "..") or "/" in text or "\\" in text or _CONTROL.search(text):
            raise MalformedPath()
        if not text:
            raise NotFound()
        segments.append(text)
    path = "/" + "/".join(segments)
    return path, ("/" + "/".join(quote(s, safe=_SEGMENT_SAFE) for s in segments)).encode("ascii")


def check_query(raw: bytes) -> None:
    """A query string is passed on as sent; it may hold only printable ASCII (escapes for the rest)."""
    if not _QUERY.fullmatch(raw):
        raise MalformedPath()


class CanonicalPathMiddleware:
    """Decodes and normalises the raw path once; everything after (routing, limits, forwarding)
    sees only the canonical path, and a path that has none is refused before any of it runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or quote(scope["path"]).encode()
        try:
            path, canonical = canonical_path(raw.partition(b"?")[0])
            check_query(scope.get("query_string", b""))
        except AppError as error:
            await send_problem(scope, send, error)
            return
        # In place: the outer layers (metrics, access log) see the route matched on this path.
        scope["path"], scope["raw_path"] = path, canonical
        await self.app(scope, receive, send)

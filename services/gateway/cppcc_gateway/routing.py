"""Which service owns which path (by prefix), and which paths need no token."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    prefix: str
    upstream: str  # member | proposal | consultation | notify


ROUTES: tuple[Route, ...] = (
    Route("/api/v1/auth/", "member"),
    Route("/api/v1/me", "member"),
    Route("/api/v1/orgs", "member"),
    Route("/api/v1/members", "member"),
    Route("/api/v1/units", "member"),
    Route("/api/v1/duty", "member"),
    Route("/api/v1/partner-clients", "member"),
    Route("/api/v1/sectors", "member"),
    Route("/api/v1/committees", "member"),
    Route("/.well-known/jwks.json", "member"),
    Route("/api/v1/proposals", "proposal"),
    Route("/api/v1/opinions", "proposal"),
    Route("/api/v1/consultations", "consultation"),
    Route("/api/v1/activities", "consultation"),
    Route("/api/v1/inbox", "notify"),
    Route("/api/v1/notifications", "notify"),
    Route("/api/v1/webhooks", "notify"),
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


def upstream_for(path: str) -> str | None:
    """The owning upstream of a path; prefixes match whole segments only."""
    for route in ROUTES:
        prefix = route.prefix
        if path == prefix.rstrip("/") or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
            return route.upstream
    return None

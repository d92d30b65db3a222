"""The gateway's own pieces: path ownership and rate limiting."""

import pytest

from cppcc_common.auth import assert_routes_declare_permissions
from cppcc_gateway.main import create_app
from cppcc_gateway.ratelimit import TokenBuckets
from cppcc_gateway.routing import PUBLIC_PATHS, upstream_for


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/api/v1/auth/login", "member"),
        ("/api/v1/me", "member"),
        ("/.well-known/jwks.json", "member"),
        ("/api/v1/proposals", "proposal"),
        ("/api/v1/proposals/123/submit", "proposal"),
        ("/api/v1/parties", "member"),
        ("/api/v1/consultations/forms", "consultation"),
        ("/api/v1/inbox/unread-count", "notify"),
        ("/api/v1/webhooks/endpoints", "notify"),
        ("/api/v1/proposalsX", None),  # whole segments only
        ("/api/v1/meeting", None),
        ("/admin", None),
        ("/", None),
    ],
)
def test_each_path_has_one_owner(path: str, upstream: str | None) -> None:
    assert upstream_for(path) == upstream


def test_public_paths_are_only_the_ways_to_get_a_token_and_the_keys() -> None:
    assert all(p.startswith("/api/v1/auth/") or p == "/.well-known/jwks.json" for p in PUBLIC_PATHS)
    assert "/api/v1/auth/password" not in PUBLIC_PATHS  # changing a password needs a token


def test_token_bucket_allows_a_burst_then_asks_to_wait() -> None:
    buckets = TokenBuckets(rate_per_second=1.0, burst=3)
    assert [buckets.take("ip", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("ip", now=100.0) == pytest.approx(1.0)
    assert buckets.take("other-ip", now=100.0) == 0.0  # keys are independent
    assert buckets.take("ip", now=101.0) == 0.0  # refilled


def test_every_gateway_route_declares_its_permission() -> None:
    assert_routes_declare_permissions(create_app())

"""The gateway routes on one decoded, normalised path and forwards exactly that path; headers are
bytes and pass through unchanged; what cannot be parsed is 400, never 500."""

from collections.abc import AsyncIterator, Callable
from urllib.parse import quote

import httpx
from gateway_support import RawResponse, Upstream, raw_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppcc_common.errors import NotFound
from cppcc_common.testing.tokens import TestIssuer
from cppcc_gateway import routing
from cppcc_gateway.routing import ROUTES, MalformedPath, canonical_path, upstream_for

OPERATIONAL = ("/metrics", "/healthz", "/readyz", "/docs", "/openapi.json")
HYPO = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _auth(issuer: TestIssuer) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {issuer.token()}".encode())]


def _is_problem(r: RawResponse) -> bool:
    return r.header("content-type") == [b"application/problem+json"] and "echo" not in r.json()


def _echoed_path(r: RawResponse) -> str | None:
    if r.header("content-type") != [b"application/json"]:
        return None
    body = r.json()
    return body["raw_path"] if isinstance(body, dict) and body.get("echo") else None


# Path segments an attacker combines: dot segments raw and encoded, encoded slashes and
# backslashes, double encoding, the services' operational routes, routed prefixes.
SEGMENTS = st.sampled_from(
    [
        "api", "v1", "proposals", "me", "parties", "members", "metrics", "healthz", "docs",
        "openapi.json", ".", "..", "%2e", "%2E%2E", ".%2e", "%2e.", "..%2F..%2F..%2Fmetrics",
        "%2F", "%2f", "a%2Fb", "%5C", "..%5C", "%252e%252e", "%00", "x", "", "%7E", "%41", "名",
    ]
)  # fmt: skip


@given(
    segments=st.lists(SEGMENTS, min_size=1, max_size=7), prefix=st.sampled_from([r.prefix for r in ROUTES])
)
@HYPO
async def test_the_gateway_forwards_exactly_the_path_it_routed_on(
    gateway: str, issuer: TestIssuer, segments: list[str], prefix: str
) -> None:
    for target in ("/" + "/".join(segments), prefix.rstrip("/") + "/" + "/".join(segments)):
        r = await raw_request(gateway, quote(target, safe="/%.~").encode(), headers=_auth(issuer))
        assert r.status < 500, (target, r.status, r.body[:200])
        forwarded = _echoed_path(r)
        if forwarded is None:  # the gateway's own answer: a problem, or its own operational route
            assert _is_problem(r) or target in OPERATIONAL, (target, r.status, r.body[:200])
            continue
        decoded = forwarded  # the echo shows the raw path the service received
        assert upstream_for(_decode(decoded)) is not None, (target, forwarded)
        assert not _decode(decoded).startswith(OPERATIONAL), (target, forwarded)
        parts = _decode(decoded).split("/")
        assert "." not in parts and ".." not in parts, (target, forwarded)


def _decode(raw: str) -> str:
    from urllib.parse import unquote

    return unquote(raw)


async def test_walking_around_the_gateway_reaches_no_operational_route(
    gateway: str, issuer: TestIssuer
) -> None:
    for target in (
        b"/api/v1/proposals/..%2F..%2F..%2Fmetrics",
        b"/api/v1/proposals/../../../metrics",
        b"/api/v1/proposals/%2e%2e/%2e%2e/%2e%2e/metrics",
        b"/api/v1/me/../parties",
        b"/api/v1/me/..%2Fparties",
        b"/api/v1/proposals/..\\..\\..\\metrics",
    ):
        r = await raw_request(gateway, target, headers=_auth(issuer))
        assert r.status in (400, 404) and _is_problem(r), (target, r.status, r.body[:300])


async def test_the_routed_path_is_forwarded_in_its_canonical_encoding(
    gateway: str, issuer: TestIssuer
) -> None:
    r = await raw_request(gateway, b"/api/v1/proposals/%7Ea%41%E5%90%8D?q=a%20b&x", headers=_auth(issuer))
    assert r.json()["raw_path"] == "/api/v1/proposals/~aA%E5%90%8D"
    assert r.json()["query"] == "q=a%20b&x"  # the query string is passed as sent


CONTROL = st.sampled_from([*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])


@given(code=CONTROL)
@HYPO
async def test_control_characters_in_a_path_are_400_not_500(
    gateway: str, issuer: TestIssuer, code: int
) -> None:
    encoded = quote(chr(code).encode("utf-8"), safe="")
    r = await raw_request(gateway, f"/api/v1/proposals/{encoded}".encode(), headers=_auth(issuer))
    assert r.status == 400 and _is_problem(r), (code, r.status, r.body[:200])


async def test_malformed_percent_escapes_and_bytes_in_a_path_are_400(
    gateway: str, issuer: TestIssuer
) -> None:
    for target in (b"/api/v1/proposals/%zz", b"/api/v1/proposals/%E5%90", b"/api/v1/proposals/%"):
        r = await raw_request(gateway, target, headers=_auth(issuer))
        assert r.status == 400 and _is_problem(r), (target, r.status, r.body[:200])


@given(
    text=st.text(
        st.characters(min_codepoint=0x20, exclude_characters="\x7f", exclude_categories=("Cs",)),
        min_size=1,
        max_size=30,
    )
)
@HYPO
async def test_header_bytes_reach_the_service_unchanged(gateway: str, issuer: TestIssuer, text: str) -> None:
    value = text.strip().encode("utf-8") or b"x"
    r = await raw_request(
        gateway, b"/api/v1/members/imports", method=b"POST", headers=[*_auth(issuer), (b"x-filename", value)]
    )
    assert r.status == 200, (value, r.status, r.body[:200])
    sent = [bytes.fromhex(v) for k, v in r.json()["headers"] if k == "x-filename"]
    assert sent == [value]


async def test_the_service_receives_the_clients_headers_and_only_the_gateways_own_besides(
    gateway: str, issuer: TestIssuer
) -> None:
    sent = [*_auth(issuer), (b"accept-language", b"en"), (b"x-custom", b"1"), (b"x-custom", b"2")]
    r = await raw_request(gateway, b"/api/v1/proposals", headers=sent)
    received = [(k.encode(), bytes.fromhex(v)) for k, v in r.json()["headers"]]
    own = {b"host", b"connection", b"x-request-id", b"traceparent", b"x-forwarded-for"}
    assert [h for h in received if h[0] not in own] == sent


async def test_response_headers_pass_through_as_bytes(gateway: str, issuer: TestIssuer) -> None:
    r = await raw_request(gateway, b"/api/v1/proposals", headers=_auth(issuer))
    assert r.header("x-raw") == ["名单.xlsx".encode()]


async def test_no_header_is_sent_twice_by_the_gateway(gateway: str, issuer: TestIssuer) -> None:
    r = await raw_request(
        gateway, b"/api/v1/proposals", headers=[*_auth(issuer), (b"origin", b"http://localhost:3000")]
    )
    names = [k for k, _ in r.headers]
    assert r.status == 200
    assert len(names) == len(set(names)), sorted(names)
    assert len(r.header("date")) == 1
    vary = {v.strip().lower() for value in r.header("vary") for v in value.split(b",")}
    assert b"accept-language" in vary and b"origin" in vary


async def test_every_translated_answer_of_the_gateway_varies_on_accept_language_once(
    gateway: str, issuer: TestIssuer
) -> None:
    """The gateway's own problems (no token, malformed path, unknown path): the shared edge adds the
    Vary, so a cache never serves one language for the other (forwarded answers: the test above)."""
    cases = [
        (b"/api/v1/proposals", []),
        (b"/api/v1/proposals/%zz", _auth(issuer)),
        (b"/api/v1/nowhere", _auth(issuer)),
    ]
    for target, headers in cases:
        r = await raw_request(gateway, target, headers=[*headers, (b"accept-language", b"en")])
        assert r.header("content-language"), (target, r.status)
        vary = [v.strip().lower() for value in r.header("vary") for v in value.split(b",")]
        assert vary.count(b"accept-language") == 1, (target, r.status, r.header("vary"))


async def test_the_client_cannot_choose_the_forwarded_for_address(
    gateway: str, issuer: TestIssuer, upstream: Upstream
) -> None:
    r = await raw_request(
        gateway,
        b"/api/v1/proposals",
        headers=[*_auth(issuer), (b"x-forwarded-for", b"203.0.113.9"), (b"forwarded", b"for=203.0.113.9")],
        local_address="127.0.0.3",
    )
    forwarded = [bytes.fromhex(v) for k, v in r.json()["headers"] if k == "x-forwarded-for"]
    assert forwarded == [b"127.0.0.3"]
    assert not [k for k, _ in r.json()["headers"] if k == "forwarded"]


# What HTTP/1.1 allows in a field value: visible ASCII, space, tab, and obs-text (0x80-0xff).
_FIELD_BYTES = [b"\t", *(bytes([c]) for c in range(0x20, 0x7F)), *(bytes([c]) for c in range(0x80, 0x100))]


@given(value=st.lists(st.sampled_from(_FIELD_BYTES), min_size=1, max_size=20).map(b"".join))
@HYPO
async def test_a_header_value_is_forwarded_unchanged_or_refused_whole(
    gateway: str, issuer: TestIssuer, value: bytes
) -> None:
    """Any header bytes: UTF-8 reaches the service byte for byte, anything else is 400 problem."""
    value = value.strip(b" \t") or b"x"
    r = await raw_request(
        gateway, b"/api/v1/members/imports", method=b"POST", headers=[*_auth(issuer), (b"x-filename", value)]
    )
    if r.status == 200:
        assert [bytes.fromhex(v) for k, v in r.json()["headers"] if k == "x-filename"] == [value]
    else:
        assert r.status == 400 and _is_problem(r), (value, r.status, r.body[:200])
        assert r.json()["code"] in ("gateway.malformed_header", "bad_request"), r.body[:200]


async def test_large_bodies_stream_through_whole_both_ways(gateway: str, issuer: TestIssuer) -> None:
    """A 6 MiB upload with a length, a chunked upload and a 1 MiB chunked answer arrive whole."""
    headers = {"Authorization": f"Bearer {issuer.token()}"}
    size = 6 * 1024 * 1024
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=30) as client:
        sized = await client.post("/api/v1/members/imports", content=b"x" * size)
        assert sized.status_code == 200 and sized.json()["body"] == size
        assert [bytes.fromhex(v) for k, v in sized.json()["headers"] if k == "content-length"] == [
            str(size).encode()
        ]

        async def pieces() -> AsyncIterator[bytes]:
            for _ in range(8):
                yield b"y" * 100_000

        chunked = await client.post("/api/v1/members/imports", content=pieces())
        assert chunked.status_code == 200 and chunked.json()["body"] == 800_000
        large = await client.get("/api/v1/proposals/large")
        assert large.status_code == 200
        assert large.content == b"".join(bytes([i]) * 65536 for i in range(16))


@given(
    path=st.lists(
        st.one_of(SEGMENTS, st.text(alphabet="abcXYZ019.-_~!$&'()*+,;=:@%/\\", max_size=6)), max_size=6
    ).map(lambda parts: "/" + "/".join(parts))
)
@HYPO
def test_the_plain_path_shortcut_answers_exactly_what_the_full_decoding_does(path: str) -> None:
    """A plain path skips the per-segment decoding; for any path the answer (or the refusal) is
    the full decoding's."""
    raw = path.encode()

    def outcome(decode: Callable[[bytes], tuple[str, bytes]]) -> object:
        try:
            return decode(raw)
        except (MalformedPath, NotFound) as error:
            return type(error)

    assert outcome(canonical_path) == outcome(routing._decoded)

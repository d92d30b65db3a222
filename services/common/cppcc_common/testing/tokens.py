"""A token issuer for tests of a single service: its own Ed25519 key and JWKS, tokens on demand;
and a real HTTP server publishing a JWKS, for tests of key fetching that must not mock HTTP."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cppcc_common.auth import StaticKeySource
from cppcc_common.clock import SystemClock


class TestIssuer:
    __test__ = False  # not a test class, despite the name

    def __init__(self, issuer: str = "cppcc-member-svc", audience: str = "cppcc") -> None:
        self.issuer = issuer
        self.audience = audience
        self.private = Ed25519PrivateKey.generate()
        self.kid = uuid4().hex[:16]
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        self.jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA"}]}

    def key_source(self) -> StaticKeySource:
        return StaticKeySource(self.jwks)

    def token(
        self,
        *,
        sub: UUID | None = None,
        org: UUID | None = None,
        roles: list[str] | None = None,
        scopes: list[str] | None = None,
        unit: UUID | None = None,
        ttl: int = 900,
        **overrides: Any,
    ) -> str:
        now = int(SystemClock().now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(sub or uuid4()),
            "org": str(org or uuid4()),
            "roles": roles if roles is not None else ["member"],
            "scopes": scopes or [],
            "iat": now,
            "exp": now + ttl,
        }
        if unit:
            claims["unit"] = str(unit)
        claims.update(overrides)
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kw)}"}


class JwksServer:
    """A real HTTP server on 127.0.0.1 answering every GET with `jwks` (or with `status` if not 200).

    Change `jwks` or `status` at will; `stop()` takes it down so its URL refuses connections.
    """

    __test__ = False

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.status = 200
        self.requests = 0
        self.delay = 0.0  # seconds each answer takes (a slow key server)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                owner.requests += 1
                time.sleep(owner.delay)
                body = json.dumps(owner.jwks if owner.status == 200 else {"error": "boom"}).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()

    def __enter__(self) -> "JwksServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""A token issuer for tests of a single service: its own Ed25519 key and JWKS, tokens on demand."""

import base64
import time
from typing import Any
from uuid import UUID, uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cppcc_common.auth import StaticKeySource


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
        now = int(time.time())
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

"""Ed25519 signing keys: generated here, private halves encrypted with AES-GCM at rest, public
halves served as JWKS. A key signs for `signing_key_days`, then verifies for one more access-token
lifetime so tokens it signed stay valid until they expire. An operator may retire a key at once
(`retire-signing-key`): it leaves the JWKS, and every verifier drops it within the JWKS cache time.

The JWKS also lists the partner clients revoked within the last partner-token lifetime
(`revoked_subjects`), so every verifier refuses the tokens they still hold (docs/auth.md).
"""

import base64
import os
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from member_svc.identity.models import PartnerClient, SigningKey
from member_svc.settings import Settings


class KeyCipher:
    """Encrypts private keys with a 32-byte key-encryption key (MEMBER_KEY_ENCRYPTION_KEY)."""

    def __init__(self, kek_b64: str) -> None:
        key = base64.urlsafe_b64decode(kek_b64 + "=" * (-len(kek_b64) % 4))
        if len(key) != 32:
            raise ValueError("MEMBER_KEY_ENCRYPTION_KEY must be 32 bytes, base64url encoded")
        self.aead = AESGCM(key)

    def encrypt(self, plain: bytes) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self.aead.encrypt(nonce, plain, b"cppcc-signing-key")).decode()

    def decrypt(self, sealed: str) -> bytes:
        raw = base64.b64decode(sealed)
        return self.aead.decrypt(raw[:12], raw[12:], b"cppcc-signing-key")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_signing_key(cipher: KeyCipher, now: datetime, days: int) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    # "k" first: a base64url id may start with "-", which the operator's command line
    # (`retire-signing-key <kid>`) would read as an option.
    kid = "k" + _b64(os.urandom(12))
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(public_raw), "kid": kid, "alg": "EdDSA", "use": "sig"}
    return SigningKey(
        kid=kid,
        private_key=cipher.encrypt(pem),
        public_jwk=jwk,
        created_at=now,
        not_after=now + timedelta(days=days),
    )


async def current_signing_key(
    session: AsyncSession, cipher: KeyCipher, now: datetime, days: int
) -> tuple[str, Ed25519PrivateKey]:
    """The newest key still signing; creates one (once, under an advisory lock) if none is."""
    key = await _newest_valid(session, now)
    if key is None:
        await session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
        key = await _newest_valid(session, now)
        if key is None:
            key = new_signing_key(cipher, now, days)
            session.add(key)
            await session.flush()
    private = serialization.load_pem_private_key(cipher.decrypt(key.private_key), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    return key.kid, private


async def _newest_valid(session: AsyncSession, now: datetime) -> SigningKey | None:
    result = await session.execute(
        select(SigningKey).where(SigningKey.not_after > now).order_by(SigningKey.created_at.desc()).limit(1)
    )
    return result.scalar_one_or_none()


def verification_grace(settings: Settings) -> timedelta:
    """How long a key verifies after it stops signing: one access-token lifetime and a margin."""
    return timedelta(minutes=settings.access_token_minutes + 5)


def _revocation_memory(settings: Settings) -> timedelta:
    """How long a revoked client stays listed: until every token it was given has expired."""
    return timedelta(minutes=settings.partner_token_minutes + 5)


async def published_jwks(session: AsyncSession, now: datetime, settings: Settings) -> dict[str, Any]:
    """Every key that may still verify a token (signing keys plus retired ones within the grace),
    and the partner clients whose tokens must be refused."""
    grace = verification_grace(settings)
    keys = await session.execute(select(SigningKey.public_jwk).where(SigningKey.not_after > now - grace))
    revoked = await session.execute(
        select(PartnerClient.id)
        .where(PartnerClient.revoked_at > now - _revocation_memory(settings))
        .order_by(PartnerClient.id)
    )
    return {"keys": list(keys.scalars()), "revoked_subjects": [str(i) for i in revoked.scalars()]}


async def verifying_key(
    session: AsyncSession, kid: str, now: datetime, settings: Settings
) -> dict[str, Any] | None:
    """The public JWK of `kid` if it still verifies tokens, else None."""
    result = await session.execute(
        select(SigningKey.public_jwk).where(
            SigningKey.kid == kid, SigningKey.not_after > now - verification_grace(settings)
        )
    )
    return result.scalar_one_or_none()


async def retire_signing_key(session: AsyncSession, kid: str, now: datetime, settings: Settings) -> bool:
    """Retires a key at once (e.g. suspected leaked): it stops signing and leaves the JWKS now."""
    key = await session.get(SigningKey, kid)
    if key is None:
        return False
    key.not_after = min(key.not_after, now - verification_grace(settings))
    return True

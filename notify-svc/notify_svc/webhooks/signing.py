"""Standard Webhooks signing and the secrets: `whsec_` secrets and v1 HMAC-SHA256 signatures,
`whsk_`/`whpk_` Ed25519 key pairs and v1a signatures (where an endpoint asks for them), and AES-GCM
encryption of the secret parts at rest."""

import base64
import hashlib
import hmac
import secrets
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notify_svc import crypto  # the one key and cipher of the service (webhook secrets, SMS numbers)

SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"  # an Ed25519 private key (its 32-byte seed): never leaves notify-svc
PUBLIC_KEY_PREFIX = "whpk_"  # its public key (32 bytes): what the partner verifies v1a with
SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes


def new_secret() -> str:
    """A fresh `whsec_` secret: the prefix and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key a `whsec_` secret stands for (what HMAC signs with)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<signature>`: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" with the secret's bytes."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def new_signing_key() -> str:
    """A fresh `whsk_` key: the prefix and the base64 of a new Ed25519 private key's seed."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return SIGNING_KEY_PREFIX + base64.b64encode(seed).decode()


def _private_key(signing_key: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        base64.b64decode(signing_key.removeprefix(SIGNING_KEY_PREFIX))
    )


def public_key(signing_key: str) -> str:
    """The `whpk_` public key of a `whsk_` key: the prefix and the base64 of its 32 raw bytes."""
    raw = _private_key(signing_key).public_key().public_bytes_raw()
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()


def sign_asymmetric(signing_key: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1a,<signature>`: base64 Ed25519 signature of "{id}.{timestamp}.{body}"."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1a," + base64.b64encode(_private_key(signing_key).sign(content)).decode()


def signature_header(secrets_in_use: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: one signature per secret or key in use, space separated —
    `v1,` for a `whsec_` secret, `v1a,` for a `whsk_` key."""
    return " ".join(
        sign_asymmetric(s, msg_id, timestamp, body)
        if s.startswith(SIGNING_KEY_PREFIX)
        else sign(s, msg_id, timestamp, body)
        for s in secrets_in_use
    )


def encrypt(key: bytes, endpoint_id: UUID, secret: str) -> bytes:
    """nonce + AES-GCM ciphertext, bound to its endpoint (a ciphertext copied to another row fails)."""
    return crypto.seal(key, endpoint_id.bytes, secret)


def decrypt(key: bytes, endpoint_id: UUID, blob: bytes) -> str:
    return crypto.unseal(key, endpoint_id.bytes, blob)

"""Encryption at rest under the service's one key (`NOTIFY_WEBHOOK_KEY`, base64url of 32 bytes):
AES-GCM, a fresh 12-byte nonce before each ciphertext, and associated data binding a ciphertext to
its row (a ciphertext copied into another row does not decrypt). Webhook secrets are bound to
their endpoint (`webhooks/signing.py`), people's SMS numbers to their person (`sealed_phone`)."""

import base64
import secrets
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from notify_svc.settings import Settings

NONCE = 12


def decode_key(key: str) -> bytes:
    """The 32-byte AES key from its base64url text (padding optional)."""
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    if len(raw) != 32:
        raise ValueError("the webhook key must be 32 bytes, base64url")
    return raw


def settings_key(settings: Settings) -> bytes | None:
    """The key of the settings (`NOTIFY_WEBHOOK_KEY`), or None when none is set."""
    return decode_key(settings.webhook_key.get_secret_value()) if settings.webhook_key else None


def seal(key: bytes, bound_to: bytes, plain: str) -> bytes:
    """nonce + AES-GCM ciphertext of `plain`, authenticated with `bound_to`."""
    nonce = secrets.token_bytes(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plain.encode(), bound_to)


def unseal(key: bytes, bound_to: bytes, blob: bytes) -> str:
    return AESGCM(key).decrypt(blob[:NONCE], blob[NONCE:], bound_to).decode()


def _phone_binding(person_id: UUID) -> bytes:
    # Distinct from an endpoint's binding (its bare id): a phone's ciphertext never passes for a secret.
    return b"sms_phone:" + person_id.bytes


def seal_phone(key: bytes, person_id: UUID, phone: str) -> bytes:
    """A person's SMS number as stored (`channel_preferences.sms_phone_encrypted`)."""
    return seal(key, _phone_binding(person_id), phone)


def unseal_phone(key: bytes, person_id: UUID, blob: bytes) -> str:
    return unseal(key, _phone_binding(person_id), blob)

"""Passwords hashed with argon2id; hashing runs in a worker thread so it never blocks the loop."""

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the phone is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("cppcc-timing-equaliser")


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


def password_is_strong(password: str, min_length: int) -> bool:
    """Long enough, with letters and digits (the usual government-system rule)."""
    return (
        len(password) >= min_length
        and any(c.isalpha() for c in password)
        and any(c.isdigit() for c in password)
    )

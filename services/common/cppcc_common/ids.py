"""Identifiers: UUIDv7 everywhere (time-ordered, index friendly)."""

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    """A fresh UUIDv7 as a standard-library UUID."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)

"""The organization's participation rule values and their defaults (pure).

Stored beside the activities' values in `consultation_policies.values` (one JSON object per
organization); a key this module does not know is another context's and is ignored here.
"""

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.attachments import DEFAULT_MAX_BYTES, DEFAULT_MAX_COUNT, DEFAULT_TYPES


class ParticipationPolicy(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # Check-in: from this many minutes before the start until the end (plus `checkin_closes_after`).
    checkin_opens_minutes_before: int = Field(default=60, ge=0, le=24 * 60)
    checkin_closes_minutes_after: int = Field(default=0, ge=0, le=24 * 60)
    # The venue code rotates every `checkin_code_seconds`; a code scanned up to `checkin_grace_seconds`
    # after its rotation is still taken (the screen refreshes, the phone's network is slow).
    checkin_code_seconds: int = Field(default=30, ge=10, le=300)
    checkin_grace_seconds: int = Field(default=30, ge=0, le=300)
    # Written speeches' files (the shared attachment rules).
    attachment_types: tuple[str, ...] = DEFAULT_TYPES
    attachment_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1)
    attachment_max_count: int = Field(default=DEFAULT_MAX_COUNT, ge=0)


DEFAULT_POLICY = ParticipationPolicy()

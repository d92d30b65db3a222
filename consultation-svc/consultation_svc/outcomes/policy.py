"""The organization's outcome rule values and their defaults (pure; DOMAIN.md §4, rule 22).

They live in the organization's consultation policy row (`consultation_policies.values`) beside
the activities' values, under their own names; a value not stored takes the default here."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.attachments import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_COUNT,
    DOC,
    DOCX,
    JPEG,
    PDF,
    PNG,
    XLS,
    XLSX,
)


class OutcomePolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # Rule 22: the responsible department's feedback is due this many calendar months after the
    # outcome is sent (the same day of the month in Asia/Shanghai, or the month's last day).
    feedback_due_months: int = Field(default=3, ge=1, le=24)
    attachment_types: tuple[str, ...] = (PDF, DOCX, DOC, XLSX, XLS, PNG, JPEG)
    # The transport limit of the upload route (settings.upload_limits) is a little above the maximum.
    attachment_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1, le=DEFAULT_MAX_BYTES)
    attachment_max_count: int = Field(default=DEFAULT_MAX_COUNT, ge=1, le=50)


DEFAULT_POLICY = OutcomePolicy()


def policy_of(values: dict[str, Any] | None) -> OutcomePolicy:
    """The policy from an organization's stored values (the defaults for what is not stored)."""
    if not values:
        return DEFAULT_POLICY
    names = OutcomePolicy.model_fields
    return OutcomePolicy.model_validate({k: v for k, v in values.items() if k in names})

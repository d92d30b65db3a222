"""The organization's consultation rule values (DOMAIN.md §4): every number is policy, never a
literal in a rule; an organization's stored values override these defaults."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.attachments import DEFAULT_MAX_BYTES, DEFAULT_TYPES


class LeadTimeUnit(StrEnum):
    CALENDAR = "calendar"  # 自然日
    WORKING = "working"  # 工作日: the official calendar with its make-up workdays (cppcc_common.workdays)


class ConsultationPolicy(BaseModel):
    """Every consultation rule value with its default; an organization may override any."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Rule 21: the notice and the materials go out at least this many days before the activity.
    notice_lead_days: int = Field(10, ge=0, le=365)
    materials_lead_days: int = Field(5, ge=0, le=365)
    lead_time_unit: LeadTimeUnit = LeadTimeUnit.CALENDAR
    # The reminder goes out this many hours before the start (DOMAIN.md §4: the day before).
    reminder_hours_before: int = Field(24, ge=1, le=24 * 14)
    # Rule 24: approved leave requests per member and year (the activity's year, Asia/Shanghai).
    leave_max_per_year: int = Field(2, ge=0, le=366)
    # An activity still open this long after its end is closed by the office's scanner.
    close_after_hours: int = Field(48, ge=0, le=24 * 60)
    # Materials (attachments)
    attachment_max_bytes: int = Field(DEFAULT_MAX_BYTES, ge=1, le=200 * 1024 * 1024)
    attachment_max_count: int = Field(20, ge=1, le=200)
    attachment_types: tuple[str, ...] = DEFAULT_TYPES

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> "ConsultationPolicy":
        return cls.model_validate(values or {})


DEFAULT_POLICY = ConsultationPolicy()

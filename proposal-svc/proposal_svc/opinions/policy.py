"""The organization's rule values for public-opinion reports (DOMAIN.md §3) with their defaults.

They are read from the organization's stored policy document (the proposal policy's row, whose
reader ignores these keys), so an organization sets them beside its proposal values; every number
is a policy value, never a literal in a rule."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OpinionPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # One matter per report: the situation, analysis and suggestion together (default 1,500).
    opinion_max_chars: int = Field(1500, ge=100, le=20000)
    opinion_title_max_chars: int = Field(50, ge=1, le=200)

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> "OpinionPolicy":
        return cls.model_validate(values or {})


DEFAULT_OPINION_POLICY = OpinionPolicy()

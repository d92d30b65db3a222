"""The organization's rule values for public-opinion reports (DOMAIN.md §3) with their defaults;
an organization's administrator overrides them (PUT /api/v1/opinions/policy, stored in
`opinion_policies`). Every number is a policy value, never a literal in a rule."""

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


def overrides(policy: OpinionPolicy) -> dict[str, Any]:
    """What the organization stores: only the values that differ from the defaults."""
    defaults = DEFAULT_OPINION_POLICY.model_dump(mode="json")
    return {k: v for k, v in policy.model_dump(mode="json").items() if v != defaults[k]}


def changed(before: OpinionPolicy, after: OpinionPolicy) -> list[str]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [name for name in new if old[name] != new[name]]

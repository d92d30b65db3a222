"""The organization's proposal rule values (DOMAIN.md §2). Every number is policy, never a literal
in a rule: an organization's stored values override these defaults."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class ProposalPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    title_max_chars: int = 50
    body_max_chars: int = 2500
    min_suggestions: int = 1
    max_suggestions: int = 20

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> "ProposalPolicy":
        return cls.model_validate(values or {})


DEFAULT_POLICY = ProposalPolicy()

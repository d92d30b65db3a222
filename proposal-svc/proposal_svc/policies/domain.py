"""The rules a proposal policy's values keep together (beyond each value's own range, which the
request schema checks). Pure: no framework, no I/O."""

from collections.abc import Sequence
from typing import Any

from proposal_svc.proposals.policy import DEFAULT_POLICY, ProposalPolicy

# Rule 17: a dissatisfied evaluation re-opens handling, so every organization keeps this option.
DISSATISFIED = "dissatisfied"


def _repeats(field: str, items: Sequence[Any]) -> list[tuple[str, str]]:
    """Each item equal to an earlier one (texts compared trimmed), and each blank text."""
    problems: list[tuple[str, str]] = []
    seen: set[Any] = set()
    for n, item in enumerate(items):
        key = item.strip() if isinstance(item, str) else item
        if key == "":
            problems.append((f"{field}.{n}", "blank"))
        elif key in seen:
            problems.append((f"{field}.{n}", "duplicate"))
        seen.add(key)
    return problems


def _labels(field: str, labels: dict[str, str]) -> list[tuple[str, str]]:
    """Each blank label, and each label an earlier code has (compared trimmed), named by its code."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for code, label in labels.items():
        key = label.strip()
        if not key:
            problems.append((f"{field}.{code}", "blank"))
        elif key in seen:
            problems.append((f"{field}.{code}", "duplicate"))
        seen.add(key)
    return problems


def violations(policy: ProposalPolicy) -> list[tuple[str, str]]:
    """Every (field, code) a policy breaks: limits in order, lists without blanks or repeats, the
    open reply classes among the reply classes, the dissatisfied evaluation kept (rule 17)."""
    problems: list[tuple[str, str]] = []
    if policy.min_suggestions > policy.max_suggestions:
        problems.append(("min_suggestions", "above_max_suggestions"))
    if policy.max_reply_months < max(policy.reply_due_months, policy.session_reply_due_months):
        problems.append(("max_reply_months", "below_reply_due_months"))
    problems += _repeats("refusal_reasons", policy.refusal_reasons)
    problems += _repeats("due_soon_days", policy.due_soon_days)
    problems += _repeats("open_reply_classes", policy.open_reply_classes)
    problems += _repeats("attachment_types", policy.attachment_types)
    problems += _labels("reply_classes", policy.reply_classes)
    problems += _labels("evaluations", policy.evaluations)
    problems += [
        (f"open_reply_classes.{n}", "unknown_reply_class")
        for n, code in enumerate(policy.open_reply_classes)
        if code not in policy.reply_classes
    ]
    if DISSATISFIED not in policy.evaluations:
        problems.append(("evaluations", "dissatisfied_required"))
    return problems


def values(policy: ProposalPolicy) -> dict[str, Any]:
    """The policy as JSON values (lists for tuples), the form stored and announced."""
    return policy.model_dump(mode="json")


def overrides(policy: ProposalPolicy) -> dict[str, Any]:
    """What the organization stores: only the values that differ from the defaults, so a default
    changed later reaches every organization that never set it."""
    defaults = values(DEFAULT_POLICY)
    return {name: value for name, value in values(policy).items() if value != defaults[name]}


def changed(before: ProposalPolicy, after: ProposalPolicy) -> list[str]:
    """The names of the values that differ, in the policy's order."""
    old, new = values(before), values(after)
    return [name for name in new if old[name] != new[name]]

"""State machines as data: a transition table per machine, and the decision a domain action returns.

A context declares its machine once, in its pure `domain` module:

    LIFECYCLE = TransitionTable(
        {(Status.DRAFT, Action.SUBMIT): Status.SUBMITTED, ...},
        error=ProposalInvalidTransition,
    )

Its domain actions return a `Decision` (the new status, the field changes, the events), and its
one transition function (in `service.py`) runs the write path: load for update → visibility →
`LIFECYCLE.check` → `check_version` → the domain action → history row → version bump → emit.
A status a route merely edits (a draft) is an action in the table too (`(DRAFT, EDIT): DRAFT`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from cppcc_common.errors import InvalidTransition
from cppcc_common.events import EventData

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class TransitionTable(Generic[S, A]):
    """(from status, action) → to status; anything else raises the machine's `InvalidTransition`."""

    def __init__(self, table: Mapping[tuple[S, A], S], *, error: type[InvalidTransition] = InvalidTransition):
        self.table = dict(table)
        self.error = error

    def allows(self, status: S, action: A) -> bool:
        return (status, action) in self.table

    def check(self, status: S, action: A) -> S:
        """The status after `action`, or the machine's 409 `InvalidTransition`."""
        try:
            return self.table[(status, action)]
        except KeyError:
            raise self.error(status=str(status), action=str(action)) from None

    def actions_from(self, status: S) -> list[A]:
        """What may be done in `status` (for clients: which buttons to show)."""
        return [action for (source, action) in self.table if source == status]

    def statuses(self) -> set[S]:
        return {s for s, _ in self.table} | set(self.table.values())


@dataclass(frozen=True)
class Decision(Generic[S]):
    """What a pure domain action decided: the new status, the fields to set, and the events.

    The transition function applies `changes` to the row, writes the history row, bumps the
    version and emits `events` with the row as their subject. `before` and `after` name what the
    step changed outside the row's own columns (another table's values), for the audit trail.
    """

    status: S
    changes: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[EventData, ...] = ()
    note: str | None = None
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)

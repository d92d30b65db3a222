"""The duty ledger's state machines as data: what each table allows, and that everything else is
the machine's InvalidTransition (409, its own stable code) — no hand-written status check beside it."""

from itertools import product

import pytest

from cppcc_common.errors import InvalidTransition
from cppcc_common.transitions import TransitionTable
from member_svc.duty.domain import (
    DUTY_YEAR,
    HELD_ENTRY,
    HeldAction,
    HeldStatus,
    YearAction,
    YearStatus,
)
from member_svc.duty.errors import HeldEntryDecided, YearClosed


def _refused(table: TransitionTable, status: object, action: object) -> InvalidTransition:  # type: ignore[type-arg]
    with pytest.raises(InvalidTransition) as refused:
        table.check(status, action)
    return refused.value


def test_every_held_entry_action_outside_the_table_is_an_invalid_transition() -> None:
    """Only a pending entry is decided (applied or dismissed); every other pair is 409
    `duty.held_entry_decided`, naming the status and the action."""
    assert HELD_ENTRY.table == {
        (HeldStatus.PENDING, HeldAction.APPLY): HeldStatus.APPLIED,
        (HeldStatus.PENDING, HeldAction.DISMISS): HeldStatus.DISMISSED,
    }
    for status, action in product(HeldStatus, HeldAction):
        if HELD_ENTRY.allows(status, action):
            continue
        error = _refused(HELD_ENTRY, status, action)
        assert isinstance(error, HeldEntryDecided)
        assert (error.status, error.code) == (409, "duty.held_entry_decided")
        assert error.params == {"status": status.value, "action": action.value}
    assert HELD_ENTRY.statuses() == set(HeldStatus)


def test_every_duty_year_action_outside_the_table_is_an_invalid_transition() -> None:
    """An open year is scored, takes its annual report and is closed; a closed year takes nothing
    (a late event's entries are held instead): 409 `duty.year_closed`."""
    assert DUTY_YEAR.actions_from(YearStatus.OPEN) == list(YearAction)
    assert DUTY_YEAR.actions_from(YearStatus.CLOSED) == []
    for status, action in product(YearStatus, YearAction):
        if DUTY_YEAR.allows(status, action):
            continue
        error = _refused(DUTY_YEAR, status, action)
        assert isinstance(error, YearClosed)
        assert (error.status, error.code) == (409, "duty.year_closed")
    assert DUTY_YEAR.check(YearStatus.OPEN, YearAction.CLOSE) is YearStatus.CLOSED

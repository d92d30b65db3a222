"""The outcome machine and its rules as pure functions (no database): every (status, action) pair
of the transition table, the feedback due date (rule 22: calendar months from the day sent in
Asia/Shanghai), the days overdue, and the checks of recipients, dates and texts."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from consultation_svc.outcomes import domain
from consultation_svc.outcomes.domain import (
    LIFECYCLE,
    Action,
    Facts,
    InstructionLevel,
    OutcomeKind,
    Recipient,
    RecipientKind,
    Status,
)
from consultation_svc.outcomes.errors import (
    DateBeforeSending,
    DateInTheFuture,
    DueDateNotLater,
    DuplicateRecipient,
    OutcomeInvalidTransition,
    ResponsibleRecipientRequired,
    TextRequired,
    UnitRecipientNeedsDepartment,
    UnknownUnit,
)
from consultation_svc.outcomes.policy import DEFAULT_POLICY, OutcomePolicy, policy_of

D, A, F = Status.DRAFT, Status.AWAITING_FEEDBACK, Status.FEEDBACK_RECEIVED
# Every pair: the status after the action, or None where the table refuses it (409).
EXPECTED: dict[tuple[Status, Action], Status | None] = {
    (D, Action.EDIT): D,
    (D, Action.SUBMIT): A,
    (D, Action.RECORD_INSTRUCTION): None,
    (D, Action.RECORD_FEEDBACK): None,
    (D, Action.CHANGE_DUE_DATE): None,
    (D, Action.ADD_FOLLOW_UP): None,
    (D, Action.DECLARE_OVERDUE): None,
    (A, Action.EDIT): None,
    (A, Action.SUBMIT): None,
    (A, Action.RECORD_INSTRUCTION): A,
    (A, Action.RECORD_FEEDBACK): F,  # rule 22: awaiting until the feedback is recorded
    (A, Action.CHANGE_DUE_DATE): A,
    (A, Action.ADD_FOLLOW_UP): A,
    (A, Action.DECLARE_OVERDUE): A,  # overdue is announced; the outcome still awaits its feedback
    (F, Action.EDIT): None,
    (F, Action.SUBMIT): None,
    (F, Action.RECORD_INSTRUCTION): F,
    (F, Action.RECORD_FEEDBACK): None,  # once
    (F, Action.CHANGE_DUE_DATE): None,
    (F, Action.ADD_FOLLOW_UP): F,
    (F, Action.DECLARE_OVERDUE): None,  # never overdue once the feedback is in
}

UNIT = uuid.uuid4()
# 09:00 on 30 November 2026 in Shanghai (01:00 UTC).
SENT = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)


def test_the_table_names_every_status_and_action() -> None:
    assert set(EXPECTED) == {(s, a) for s in Status for a in Action}


@pytest.mark.parametrize(("status", "action"), list(EXPECTED), ids=[f"{s}-{a}" for s, a in EXPECTED])
def test_every_status_action_pair(status: Status, action: Action) -> None:
    expected = EXPECTED[(status, action)]
    if expected is None:
        assert not LIFECYCLE.allows(status, action)
        with pytest.raises(OutcomeInvalidTransition):
            LIFECYCLE.check(status, action)
    else:
        assert LIFECYCLE.check(status, action) == expected


def _facts(**overrides: Any) -> Facts:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "org_id": uuid.uuid4(),
        "activity_id": uuid.uuid4(),
        "kind": OutcomeKind.RECOMMENDATION,
        "title": "关于优化营商环境的建议案",
        "text": "正文",
        "status": Status.DRAFT,
        "recipients": (
            Recipient(RecipientKind.PARTY_COMMITTEE, "中共某市委"),
            Recipient(RecipientKind.DEPARTMENT, "市发展改革委", UNIT, True),
        ),
        "sent_at": None,
        "feedback_due_on": None,
        "organizer_person_id": uuid.uuid4(),
    }
    return Facts(**{**values, **overrides})


def _sent(**overrides: Any) -> Facts:
    return _facts(status=A, sent_at=SENT, feedback_due_on=date(2027, 2, 28), **overrides)


@pytest.mark.parametrize(
    ("sent_at", "months", "due"),
    [
        # 23:30 UTC on 31 Jan is 1 Feb in Shanghai: the day sent is the Shanghai day.
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), 3, date(2027, 5, 1)),
        (datetime(2027, 1, 31, 3, 0, tzinfo=UTC), 1, date(2027, 2, 28)),  # the month's last day
        (datetime(2028, 1, 31, 3, 0, tzinfo=UTC), 1, date(2028, 2, 29)),  # a leap year
        (SENT, 3, date(2027, 2, 28)),  # 30 Nov + 3 months: February is shorter
        (datetime(2026, 10, 15, 3, 0, tzinfo=UTC), 3, date(2027, 1, 15)),  # over the year's end
        (datetime(2026, 10, 15, 3, 0, tzinfo=UTC), 6, date(2027, 4, 15)),
    ],
)
def test_rule_22_feedback_is_due_calendar_months_after_the_day_sent_in_shanghai(
    sent_at: datetime, months: int, due: date
) -> None:
    assert domain.feedback_due_on(sent_at, OutcomePolicy(feedback_due_months=months)) == due


def test_rule_22_the_default_is_three_months_and_stored_values_override_it() -> None:
    assert DEFAULT_POLICY.feedback_due_months == 3
    assert policy_of({"feedback_due_months": 2, "notice_lead_days": 10}).feedback_due_months == 2
    assert policy_of(None) == DEFAULT_POLICY


def test_rule_22_overdue_begins_when_the_day_after_the_due_date_begins_in_shanghai() -> None:
    assert domain.overdue_at(date(2027, 2, 28)) == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "received", "today", "days"),
    [
        (None, None, date(2027, 1, 1), 0),
        (date(2027, 2, 28), None, date(2027, 2, 28), 0),
        (date(2027, 2, 28), None, date(2027, 3, 10), 10),
        (date(2027, 2, 28), date(2027, 2, 1), date(2027, 12, 31), 0),
        (date(2027, 2, 28), date(2027, 3, 3), date(2027, 12, 31), 3),  # counted to the late feedback
    ],
)
def test_days_overdue(due: date | None, received: date | None, today: date, days: int) -> None:
    assert domain.days_overdue(due, received, today) == days


def test_rule_22_submitting_sets_the_due_date_and_tells_the_responsible_unit() -> None:
    facts = _facts()
    decision = domain.submit(facts, DEFAULT_POLICY, SENT)
    assert decision.status == A
    assert decision.changes == {"sent_at": SENT, "feedback_due_on": date(2027, 2, 28)}
    (event,) = decision.events
    assert event.unit_id == UNIT and event.responsible == "市发展改革委"  # type: ignore[attr-defined]
    assert event.recipients == ["中共某市委", "市发展改革委"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("responsible", [0, 2])
def test_rule_22_an_outcome_is_sent_with_exactly_one_responsible_recipient(responsible: int) -> None:
    recipients = tuple(
        Recipient(RecipientKind.DEPARTMENT, f"部门{i}", None, i < responsible) for i in range(3)
    )
    with pytest.raises(ResponsibleRecipientRequired):
        domain.submit(_facts(recipients=recipients), DEFAULT_POLICY, SENT)


def test_an_outcome_without_text_is_not_sent() -> None:
    with pytest.raises(TextRequired):
        domain.submit(_facts(text="  \n "), DEFAULT_POLICY, SENT)


def test_recipients_are_checked() -> None:
    dept = RecipientKind.DEPARTMENT
    domain.check_recipients([Recipient(dept, "市发展改革委", UNIT, True)], {UNIT})
    with pytest.raises(UnknownUnit):
        domain.check_recipients([Recipient(dept, "市发展改革委", UNIT, True)], set())
    with pytest.raises(UnitRecipientNeedsDepartment):
        domain.check_recipients([Recipient(RecipientKind.GOVERNMENT, "市政府", UNIT)], {UNIT})
    with pytest.raises(DuplicateRecipient):
        domain.check_recipients([Recipient(dept, "市发展改革委"), Recipient(dept, "市发展改革委")], set())
    with pytest.raises(DuplicateRecipient):
        domain.check_recipients([Recipient(dept, "甲", UNIT), Recipient(dept, "乙", UNIT)], {UNIT})


def test_an_instruction_is_dated_between_the_sending_and_today() -> None:
    facts = _sent()
    decision = domain.record_instruction(
        facts,
        uuid.uuid4(),
        InstructionLevel.MUNICIPAL,
        "市委书记张某",
        "请市发改委认真研究",
        date(2026, 12, 1),
        NOW,
    )
    assert decision.status == A and decision.events[0].unit_id == UNIT  # type: ignore[attr-defined]
    with pytest.raises(DateInTheFuture):
        domain.record_instruction(
            facts, uuid.uuid4(), InstructionLevel.MUNICIPAL, "张某", "批示", date(2026, 12, 11), NOW
        )
    with pytest.raises(DateBeforeSending):
        domain.record_instruction(
            facts, uuid.uuid4(), InstructionLevel.MUNICIPAL, "张某", "批示", date(2026, 11, 29), NOW
        )
    with pytest.raises(TextRequired):
        domain.record_instruction(
            facts, uuid.uuid4(), InstructionLevel.MUNICIPAL, " ", "批示", date(2026, 12, 1), NOW
        )


@pytest.mark.parametrize(("received", "late"), [(date(2027, 2, 28), False), (date(2027, 3, 1), True)])
def test_rule_22_feedback_ends_the_wait_and_says_whether_it_was_late(received: date, late: bool) -> None:
    now = datetime(2027, 3, 5, 2, 0, tzinfo=UTC)
    decision = domain.record_feedback(_sent(), "已采纳，正在落实", received, now)
    assert decision.status == F
    assert decision.events[0].late is late  # type: ignore[attr-defined]


def test_rule_22_a_due_date_moves_with_a_reason_to_a_new_day_after_the_sending() -> None:
    decision = domain.change_due_date(_sent(), date(2027, 4, 30), "部门申请延期，经秘书长同意")
    assert decision.changes == {"feedback_due_on": date(2027, 4, 30)}
    assert decision.before == {"feedback_due_on": "2027-02-28"}
    for bad in (date(2027, 2, 28), date(2026, 11, 30), date(2026, 1, 1)):
        with pytest.raises(DueDateNotLater):
            domain.change_due_date(_sent(), bad, "理由")
    with pytest.raises(TextRequired):
        domain.change_due_date(_sent(), date(2027, 4, 30), "  ")


def test_rule_22_the_overdue_event_carries_what_notify_svc_needs() -> None:
    facts = _sent()
    (event,) = domain.declare_overdue(facts, date(2027, 2, 28)).events
    assert event.model_dump() == {
        "outcome_id": facts.id,
        "activity_id": facts.activity_id,
        "org_id": facts.org_id,
        "title": facts.title,
        "unit_id": UNIT,
        "responsible": "市发展改革委",
        "organizer_person_id": facts.organizer_person_id,
        "feedback_due_on": date(2027, 2, 28),
    }

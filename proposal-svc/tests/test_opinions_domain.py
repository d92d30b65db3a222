"""The public-opinion report machine and its rules as pure functions, pair by pair (no database)."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from cppcc_common.contracts.proposal import (
    AdoptionLevel,
    AdoptionMode,
    OpinionAdoptedV1,
    OpinionInstructedV1,
    OpinionSubmittedV1,
)
from proposal_svc.opinions import domain
from proposal_svc.opinions.domain import LIFECYCLE, Action, Adoption, Content, Facts, Status
from proposal_svc.opinions.errors import NothingToEdit, OpinionIncomplete, OpinionInvalidTransition
from proposal_svc.opinions.policy import DEFAULT_OPINION_POLICY, OpinionPolicy

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
AUTHOR, OTHER = uuid.uuid4(), uuid.uuid4()
CONTENT = Content("关于某事的建议", "情况", "分析", "建议")
M, P, N, C = AdoptionLevel.MUNICIPAL, AdoptionLevel.PROVINCIAL, AdoptionLevel.NATIONAL, AdoptionLevel.COUNTY
SINGLE, COMBINED = AdoptionMode.SINGLE, AdoptionMode.COMBINED

# Every allowed (status, action) and where it leads; every other pair is a 409.
ALLOWED = {
    (Status.DRAFT, Action.EDIT_DRAFT): Status.DRAFT,
    (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
    (Status.SUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.SUBMITTED, Action.EDIT): Status.EDITED,
    (Status.EDITED, Action.EDIT): Status.EDITED,
    (Status.ADOPTED, Action.EDIT): Status.ADOPTED,
    (Status.SUBMITTED, Action.ADOPT): Status.ADOPTED,
    (Status.EDITED, Action.ADOPT): Status.ADOPTED,
    (Status.ADOPTED, Action.ADOPT): Status.ADOPTED,
    (Status.SUBMITTED, Action.NOT_ADOPT): Status.NOT_ADOPTED,
    (Status.EDITED, Action.NOT_ADOPT): Status.NOT_ADOPTED,
    (Status.ADOPTED, Action.FORWARD): Status.ADOPTED,
    (Status.ADOPTED, Action.INSTRUCT): Status.ADOPTED,
    (Status.ADOPTED, Action.FEEDBACK): Status.ADOPTED,
}


def facts(status: Status = Status.SUBMITTED, **kw: object) -> Facts:
    return Facts(
        id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        author_id=AUTHOR,
        status=status,
        content=kw.pop("content", CONTENT),  # type: ignore[arg-type]
        version=3,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_the_lifecycle_table_pair_by_pair(status: Status, action: Action) -> None:
    if (status, action) in ALLOWED:
        assert LIFECYCLE.check(status, action) is ALLOWED[(status, action)]
    else:
        with pytest.raises(OpinionInvalidTransition):
            LIFECYCLE.check(status, action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize(
    ("actor", "office", "author_may", "office_may"),
    [
        (AUTHOR, False, True, False),
        (OTHER, True, False, True),
        (OTHER, False, False, False),
        (None, False, False, False),
    ],
)
def test_who_may_act(
    action: Action, actor: uuid.UUID | None, office: bool, author_may: bool, office_may: bool
) -> None:
    expected = author_may if action in domain.AUTHOR_ACTIONS else office_may
    assert domain.may_act(action, actor=actor, author_id=AUTHOR, office=office) is expected


def test_the_author_and_office_actions_cover_the_machine() -> None:
    assert set(Action) == domain.AUTHOR_ACTIONS | domain.OFFICE_ACTIONS
    assert not domain.AUTHOR_ACTIONS & domain.OFFICE_ACTIONS


@pytest.mark.parametrize(
    ("content", "fields"),
    [
        (Content("", "情况", "分析", "建议"), {"title"}),
        (Content("题", " ", "分析", "建议"), {"situation"}),
        (Content("题", "情况", "", ""), {"analysis", "suggestion"}),
    ],
)
def test_a_report_states_the_situation_analysis_and_suggestion(content: Content, fields: set[str]) -> None:
    with pytest.raises(OpinionIncomplete) as raised:
        domain.submit(facts(Status.DRAFT, content=content), DEFAULT_OPINION_POLICY, now=NOW)
    assert {e["field"] for e in raised.value.errors} == fields


@pytest.mark.parametrize(
    ("chars", "limit", "ok"), [(1500, 1500, True), (1501, 1500, False), (300, 300, True), (301, 300, False)]
)
def test_the_body_length_is_the_policys(chars: int, limit: int, ok: bool) -> None:
    third = chars // 3
    content = Content("题", "情" * third, "析" * third, "议" * (chars - 2 * third))
    policy = OpinionPolicy(opinion_max_chars=limit)
    if ok:
        decision = domain.submit(facts(Status.DRAFT, content=content), policy, now=NOW)
        assert decision.status is Status.SUBMITTED
        [event] = decision.events
        assert isinstance(event, OpinionSubmittedV1) and event.version == 4
    else:
        with pytest.raises(OpinionIncomplete):
            domain.submit(facts(Status.DRAFT, content=content), policy, now=NOW)


def test_an_office_edit_of_a_long_converted_report_may_not_lengthen_it() -> None:
    long = Content("题", "情" * 2000, "", "议")
    policy = DEFAULT_OPINION_POLICY
    shorter = domain.edit(facts(content=long), {"suggestion": "建"}, None, policy, now=NOW)
    assert shorter.changes == {"suggestion": "建"}
    with pytest.raises(OpinionIncomplete):
        domain.edit(facts(content=long), {"analysis": "新增分析"}, None, policy, now=NOW)


def test_an_edit_that_changes_nothing_or_blanks_a_field_is_refused() -> None:
    with pytest.raises(NothingToEdit):
        domain.edit(
            facts(), {"title": CONTENT.title, "situation": "改"}, None, DEFAULT_OPINION_POLICY, now=NOW
        )
    with pytest.raises(OpinionIncomplete):
        domain.edit(facts(), {"analysis": "  "}, None, DEFAULT_OPINION_POLICY, now=NOW)


# (stored adoption, stored instruction, new adoption) -> (highest kept, whether the ledger is told)
ADOPTIONS = [
    (None, None, Adoption(C, COMBINED), Adoption(C, COMBINED), True),
    (Adoption(M, COMBINED), None, Adoption(M, SINGLE), Adoption(M, SINGLE), True),
    (Adoption(M, SINGLE), None, Adoption(M, COMBINED), Adoption(M, SINGLE), False),
    (Adoption(M, SINGLE), None, Adoption(C, SINGLE), Adoption(M, SINGLE), False),
    (Adoption(M, SINGLE), None, Adoption(P, COMBINED), Adoption(P, COMBINED), True),
    (Adoption(P, SINGLE), P, Adoption(N, SINGLE), Adoption(N, SINGLE), True),
    (Adoption(N, SINGLE), None, Adoption(N, SINGLE), Adoption(N, SINGLE), False),
]


@pytest.mark.parametrize(("stored", "instruction", "new", "kept", "told"), ADOPTIONS)
def test_rule_27_the_highest_adoption_is_kept_and_only_a_rise_is_announced(
    stored: Adoption | None, instruction: AdoptionLevel | None, new: Adoption, kept: Adoption, told: bool
) -> None:
    first = NOW - timedelta(days=30)
    status = Status.ADOPTED if stored else Status.SUBMITTED
    report = facts(
        status, adoption=stored, adopted_at=first if stored else None, instruction_level=instruction
    )
    decision = domain.adopt(report, new, None, now=NOW)
    assert (decision.changes["adoption_level"], decision.changes["adoption_mode"]) == (kept.level, kept.mode)
    assert decision.changes["adopted_at"] == (first if stored else NOW)
    if told:
        [event] = decision.events
        assert isinstance(event, OpinionAdoptedV1)
        assert (event.adoption_level, event.adoption_mode, event.instruction_level) == (
            kept.level,
            kept.mode,
            instruction,
        )
        assert event.adopted_at == (first if stored else NOW)  # the act's year is the first adoption's
    else:
        assert decision.events == ()


# (stored instruction, new instruction) -> highest kept, whether the ledger is told
INSTRUCTIONS = [(None, C, C, True), (C, P, P, True), (P, M, P, False), (P, P, P, False), (M, N, N, True)]


@pytest.mark.parametrize(("stored", "new", "kept", "told"), INSTRUCTIONS)
def test_rule_27_the_highest_instruction_is_kept_and_only_a_rise_is_announced(
    stored: AdoptionLevel | None, new: AdoptionLevel, kept: AdoptionLevel, told: bool
) -> None:
    report = facts(Status.ADOPTED, adoption=Adoption(M, SINGLE), adopted_at=NOW, instruction_level=stored)
    decision = domain.instruct(report, new, "某领导", date(2026, 3, 5), now=NOW + timedelta(days=3))
    assert decision.changes == {"instruction_level": kept}
    instructed = [e for e in decision.events if isinstance(e, OpinionInstructedV1)]
    adopted = [e for e in decision.events if isinstance(e, OpinionAdoptedV1)]
    assert len(instructed) == 1 and instructed[0].level is new
    assert len(adopted) == (1 if told else 0)
    if told:
        assert (
            adopted[0].instruction_level is kept
            and adopted[0].adoption_level is M
            and adopted[0].adopted_at == NOW
        )


def test_rule_7_a_converted_proposal_keeps_its_text_and_names_the_proposal() -> None:
    pid, rid = uuid.uuid4(), uuid.uuid4()
    content, event = domain.converted(
        report_id=rid,
        org_id=uuid.uuid4(),
        author_id=AUTHOR,
        proposal_id=pid,
        title="关于某事的建议",
        situation="情况与分析",
        suggestions=["甲", "乙"],
        now=NOW,
    )
    assert content == Content("关于某事的建议", "情况与分析", "", "1. 甲\n2. 乙")
    assert event.converted_from_proposal_id == pid and event.report_id == rid and event.author_id == AUTHOR
    one, _ = domain.converted(
        report_id=rid,
        org_id=uuid.uuid4(),
        author_id=AUTHOR,
        proposal_id=pid,
        title="t",
        situation="s",
        suggestions=["甲"],
        now=NOW,
    )
    assert one.suggestion == "甲"


def test_an_instruction_or_feedback_is_recorded_once_it_happened() -> None:
    """Its day is not after today in Asia/Shanghai (16:30 UTC is already tomorrow there)."""
    from proposal_svc.opinions.errors import DateInTheFuture

    late = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 00:30 on 3 March in Shanghai
    report = facts(Status.ADOPTED, adoption=Adoption(M, SINGLE), adopted_at=NOW)
    assert domain.feedback(report, "某局", date(2026, 3, 3), now=late).status is Status.ADOPTED
    with pytest.raises(DateInTheFuture):
        domain.feedback(report, "某局", date(2026, 3, 4), now=late)
    with pytest.raises(DateInTheFuture):
        domain.instruct(report, P, "某领导", date(2026, 3, 4), now=late)

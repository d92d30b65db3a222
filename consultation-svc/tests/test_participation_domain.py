"""Participation's rules without a database: the check-in code, the scan, and every (status,
action) pair of the speech and deliberation machines; written consultation's due date."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from consultation_svc.checkin import domain as checkin
from consultation_svc.checkin.domain import Effect
from consultation_svc.checkin.errors import CheckinClosed, CheckinCodeExpired, CheckinCodeInvalid
from consultation_svc.deliberation import domain as deliberation
from consultation_svc.deliberation.domain import Phase, PostAction, PostStatus, ThreadAction
from consultation_svc.deliberation.errors import (
    BadWindow,
    DeliberationInvalidTransition,
    ReplyToHidden,
    ThreadNotOpen,
)
from consultation_svc.participation.policy import DEFAULT_POLICY, ParticipationPolicy
from consultation_svc.speeches import domain as speeches
from consultation_svc.speeches.domain import Action, Status
from consultation_svc.speeches.errors import SpeechInvalidTransition, WrittenSpeechEmpty
from consultation_svc.written import domain as written
from consultation_svc.written.errors import DueInThePast, OpinionsClosed
from cppcc_common.contracts.consultation import SpeechDeliveredV1, SpeechMode

KEY = b"k" * 32
ACTIVITY, OTHER = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 12, 10, 1, 0, 7, tzinfo=UTC)
S = timedelta(seconds=1)


# --- the check-in code ----------------------------------------------------------------------------


def test_a_code_reads_back_for_its_activity_within_its_window() -> None:
    code = checkin.issue(KEY, ACTIVITY, NOW, DEFAULT_POLICY)
    assert code.issued_at <= NOW < code.expires_at
    assert code.expires_at - code.issued_at == timedelta(seconds=DEFAULT_POLICY.checkin_code_seconds)
    assert checkin.read(KEY, code.token, ACTIVITY, NOW, DEFAULT_POLICY).window == code.window
    # the next rotation is another code
    later = checkin.issue(KEY, ACTIVITY, code.expires_at, DEFAULT_POLICY)
    assert later.token != code.token and later.window == code.window + 1


def test_a_code_is_refused_for_another_activity() -> None:
    code = checkin.issue(KEY, ACTIVITY, NOW, DEFAULT_POLICY)
    with pytest.raises(CheckinCodeInvalid):
        checkin.read(KEY, code.token, OTHER, NOW, DEFAULT_POLICY)


def test_a_code_is_taken_through_the_grace_window_then_refused_as_expired() -> None:
    code = checkin.issue(KEY, ACTIVITY, NOW, DEFAULT_POLICY)
    checkin.read(KEY, code.token, ACTIVITY, code.accepted_until - S, DEFAULT_POLICY)
    with pytest.raises(CheckinCodeExpired):
        checkin.read(KEY, code.token, ACTIVITY, code.accepted_until, DEFAULT_POLICY)
    with pytest.raises(CheckinCodeExpired):
        checkin.read(KEY, code.token, ACTIVITY, NOW + timedelta(hours=3), DEFAULT_POLICY)


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the MAC altered
        lambda t: t.replace("v1.", "v2."),
        lambda t: t + "A",
        lambda t: "v1.",
        lambda t: "v1.!!!!",
        lambda t: "",
        lambda t: "v1." + "A" * 10_000,
    ],
)
def test_a_forged_or_damaged_code_is_invalid(forge: object) -> None:
    code = checkin.issue(KEY, ACTIVITY, NOW, DEFAULT_POLICY)
    with pytest.raises(CheckinCodeInvalid):
        checkin.read(KEY, forge(code.token), ACTIVITY, NOW, DEFAULT_POLICY)  # type: ignore[operator]


def test_a_code_signed_with_another_key_is_invalid() -> None:
    code = checkin.issue(b"x" * 32, ACTIVITY, NOW, DEFAULT_POLICY)
    with pytest.raises(CheckinCodeInvalid):
        checkin.read(KEY, code.token, ACTIVITY, NOW, DEFAULT_POLICY)


def test_a_code_of_a_window_not_yet_begun_is_invalid() -> None:
    future = checkin.issue(KEY, ACTIVITY, NOW + timedelta(minutes=10), DEFAULT_POLICY)
    with pytest.raises(CheckinCodeInvalid):
        checkin.read(KEY, future.token, ACTIVITY, NOW, DEFAULT_POLICY)


def test_the_code_reads_its_own_rotation_period_when_the_policy_changes() -> None:
    code = checkin.issue(KEY, ACTIVITY, NOW, ParticipationPolicy(checkin_code_seconds=60))
    assert checkin.read(KEY, code.token, ACTIVITY, NOW, DEFAULT_POLICY).expires_at == code.expires_at


def test_check_in_is_open_from_the_policy_minutes_before_the_start_until_the_end() -> None:
    starts, ends = NOW + timedelta(hours=2), NOW + timedelta(hours=4)
    window = checkin.checkin_window(starts, ends, DEFAULT_POLICY)
    assert window.opens_at == starts - timedelta(minutes=60) and window.closes_at == ends
    checkin.check_window(window, window.opens_at)
    checkin.check_window(window, window.closes_at)
    for outside in (window.opens_at - S, window.closes_at + S):
        with pytest.raises(CheckinClosed):
            checkin.check_window(window, outside)


def test_first_scan_arrives_a_later_code_departs_the_same_code_again_changes_nothing() -> None:
    assert checkin.effect_of(None, scanned_before=False) is Effect.ARRIVAL
    assert checkin.effect_of(NOW, scanned_before=False) is Effect.DEPARTURE
    assert checkin.effect_of(NOW, scanned_before=True) is Effect.REPEAT


def test_the_configured_key_is_base64url_or_its_bytes() -> None:
    assert (
        checkin.key_bytes("a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
        == b"keykeykeykeykeykeykeykeykeykeyke"
    )
    assert checkin.key_bytes("short") == b"short"


# --- speeches ---------------------------------------------------------------------------------------

FACTS = speeches.Facts(
    speech_id=uuid.uuid4(),
    activity_id=ACTIVITY,
    org_id=uuid.uuid4(),
    person_id=uuid.uuid4(),
    mode=SpeechMode.ORAL,
    has_text=False,
    files=0,
    activity_starts_at=NOW,
)
SPEECH_TABLE = {
    (Status.REGISTERED, Action.EDIT): Status.REGISTERED,
    (Status.REGISTERED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.REGISTERED, Action.DELIVER): Status.DELIVERED,
    (Status.REGISTERED, Action.DECLINE): Status.DECLINED,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_speech_transitions_pair_by_pair(status: Status, action: Action) -> None:
    expected = SPEECH_TABLE.get((status, action))
    if expected is None:
        with pytest.raises(SpeechInvalidTransition):
            speeches.LIFECYCLE.check(status, action)
    else:
        assert speeches.LIFECYCLE.check(status, action) is expected


def test_a_delivered_speech_is_scored_in_the_activity_s_time() -> None:
    decision = speeches.deliver(FACTS, NOW + timedelta(days=400))
    assert decision.status is Status.DELIVERED
    (event,) = decision.events
    assert isinstance(event, SpeechDeliveredV1)
    assert event.occurred_at == NOW and event.mode is SpeechMode.ORAL and event.person_id == FACTS.person_id


def test_a_written_speech_is_accepted_only_with_its_text_or_a_file() -> None:
    empty = speeches.Facts(**{**FACTS.__dict__, "mode": SpeechMode.WRITTEN})
    with pytest.raises(WrittenSpeechEmpty):
        speeches.deliver(empty, NOW)
    for given in ({"has_text": True}, {"files": 1}):
        facts = speeches.Facts(**{**empty.__dict__, **given})
        assert speeches.deliver(facts, NOW).status is Status.DELIVERED


def test_a_declined_speech_keeps_its_reason() -> None:
    decision = speeches.decline(FACTS, "时间所限")
    assert decision.changes == {"decline_reason": "时间所限"} and decision.note == "时间所限"


def test_the_speaker_and_the_office_take_disjoint_actions() -> None:
    assert speeches.SPEAKER_ACTIONS.isdisjoint(speeches.OFFICE_ACTIONS)
    assert set(Action) == speeches.SPEAKER_ACTIONS | speeches.OFFICE_ACTIONS


# --- online deliberation ------------------------------------------------------------------------------

OPENS, CLOSES = NOW + timedelta(hours=1), NOW + timedelta(days=3)


def test_the_thread_s_phase_follows_its_window_and_summary() -> None:
    assert deliberation.phase(OPENS, CLOSES, False, NOW) is Phase.UPCOMING
    assert deliberation.phase(OPENS, CLOSES, False, OPENS) is Phase.OPEN
    assert deliberation.phase(OPENS, CLOSES, False, CLOSES - S) is Phase.OPEN
    assert deliberation.phase(OPENS, CLOSES, False, CLOSES) is Phase.CLOSED
    assert deliberation.phase(OPENS, CLOSES, True, CLOSES) is Phase.SUMMARIZED


THREAD_TABLE = {
    (Phase.UPCOMING, ThreadAction.SET_UP): Phase.UPCOMING,
    (Phase.OPEN, ThreadAction.SET_UP): Phase.OPEN,
    (Phase.CLOSED, ThreadAction.SET_UP): Phase.CLOSED,
    (Phase.OPEN, ThreadAction.POST): Phase.OPEN,
    (Phase.CLOSED, ThreadAction.SUMMARIZE): Phase.SUMMARIZED,
}
POST_TABLE = {
    (PostStatus.VISIBLE, PostAction.HIDE): PostStatus.HIDDEN,
    (PostStatus.HIDDEN, PostAction.RESTORE): PostStatus.VISIBLE,
}


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("action", list(ThreadAction))
def test_deliberation_thread_transitions_pair_by_pair(phase: Phase, action: ThreadAction) -> None:
    expected = THREAD_TABLE.get((phase, action))
    if expected is None:
        with pytest.raises(DeliberationInvalidTransition):
            deliberation.THREAD.check(phase, action)
    else:
        assert deliberation.THREAD.check(phase, action) is expected


@pytest.mark.parametrize("status", list(PostStatus))
@pytest.mark.parametrize("action", list(PostAction))
def test_deliberation_post_transitions_pair_by_pair(status: PostStatus, action: PostAction) -> None:
    expected = POST_TABLE.get((status, action))
    if expected is None:
        with pytest.raises(DeliberationInvalidTransition):
            deliberation.POSTS.check(status, action)
    else:
        assert deliberation.POSTS.check(status, action) is expected


def test_posts_are_taken_only_while_open_and_replies_only_to_visible_posts() -> None:
    deliberation.check_post(Phase.OPEN, OPENS, CLOSES, reply_to_hidden=False)
    for phase in (Phase.UPCOMING, Phase.CLOSED, Phase.SUMMARIZED):
        with pytest.raises(ThreadNotOpen):
            deliberation.check_post(phase, OPENS, CLOSES, reply_to_hidden=False)
    with pytest.raises(ReplyToHidden):
        deliberation.check_post(Phase.OPEN, OPENS, CLOSES, reply_to_hidden=True)


def test_a_window_closes_after_it_opens_and_after_now() -> None:
    deliberation.check_window(OPENS, CLOSES, NOW)
    for opens, closes in ((CLOSES, OPENS), (OPENS, OPENS), (NOW - timedelta(days=2), NOW)):
        with pytest.raises(BadWindow):
            deliberation.check_window(opens, closes, NOW)


# --- written consultation ----------------------------------------------------------------------------


def test_opinions_are_taken_strictly_before_the_due_date() -> None:
    due = NOW + timedelta(days=7)
    written.check_open(due, due - S)
    for late in (due, due + S):
        with pytest.raises(OpinionsClosed):
            written.check_open(due, late)


def test_the_due_date_must_lie_ahead_and_revisions_count_up() -> None:
    written.check_due(NOW + S, NOW)
    with pytest.raises(DueInThePast):
        written.check_due(NOW, NOW)
    assert [written.next_revision(None), written.next_revision(1), written.next_revision(2)] == [1, 2, 3]

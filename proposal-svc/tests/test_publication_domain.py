"""Publication's pure rules (rule 20): the contact details removed from any text, who consents, the
window and its closing instant — without a database."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cppcc_common.workdays import WorkingCalendar, package_schedules, start_of_day
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.publication import domain
from proposal_svc.publication.domain import REDACTED, Window, redact
from proposal_svc.publication.errors import (
    AlreadyPublished,
    ConsentMissing,
    NotAProposer,
    PublicationWindowClosed,
)

POLICY = ProposalPolicy()
# Chinese prose without digits or '@': the context a contact detail sits in.
PROSE = st.text(
    alphabet=st.sampled_from("关于加快老旧小区加装电梯的建议，联系人张三。请与我们沟通！（）：；、 \n"),
    max_size=40,
)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


SEPARATOR = st.sampled_from(["", "-", " "])
MOBILES = st.builds(
    lambda prefix, second, rest, sep1, sep2: f"{prefix}1{second}{rest[0]}{sep1}{rest[1:5]}{sep2}{rest[5:]}",
    st.sampled_from(["", "+86 ", "+86-", "86", "＋86"]),
    st.sampled_from("3456789"),
    _digits(9),
    SEPARATOR,
    SEPARATOR,
)
LANDLINES = st.builds(
    lambda area, number, sep, ext, brackets: (f"（{area}）" if brackets else f"{area}{sep}") + number + ext,
    st.sampled_from(["010", "021", "0571", "0755", "0898"]),
    st.one_of(_digits(7), _digits(8)).filter(lambda n: n[0] != "0"),
    SEPARATOR,
    st.sampled_from(["", "转123", "-8001"]),
    st.booleans(),
)
EMAILS = st.builds(
    lambda user, domain_, tld: f"{user}@{domain_}.{tld}",
    st.from_regex(r"[a-z][a-z0-9._]{0,12}", fullmatch=True),
    st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
    st.sampled_from(["com", "cn", "com.cn", "gov.cn", "org"]),
)
ID_CARDS = st.builds(lambda body, last: body + last, _digits(17), st.sampled_from("0123456789Xx")) | _digits(
    15
)
CONTACTS = st.one_of(MOBILES, LANDLINES, EMAILS, ID_CARDS)


@given(PROSE, CONTACTS, PROSE, st.booleans())
@example("", "010-1300000-8001", "", False)  # a fixed line whose number and extension look like a mobile
def test_rule_20_no_phone_email_or_id_number_survives_in_published_text(
    before: str, contact: str, after: str, fullwidth: bool
) -> None:
    """Any phone number (mobile, fixed line with area code and extension), e-mail address or ID-card
    number, in ASCII or full-width digits, anywhere in Chinese text, is replaced; the prose stays."""
    if fullwidth:
        contact = contact.translate(FULLWIDTH)
    published = redact(before + contact + after)
    assert contact not in published
    assert published == before + REDACTED + after
    assert not re.search(r"[0-9０-９]{5}", published)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请联系手机13812345678或固话0571-87654321。", f"请联系手机{REDACTED}或固话{REDACTED}。"),
        (
            "邮箱 zhang.san@example.com.cn，身份证号330106199001011234。",
            f"邮箱 {REDACTED}，身份证号{REDACTED}。",
        ),
        ("身份证号码11010519491231002X", f"身份证号码{REDACTED}"),
        ("联系电话：87654321", f"联系电话：{REDACTED}"),
        ("热线400-123-4567", f"热线{REDACTED}"),
        ("电话（0571）87654321转806", f"电话{REDACTED}"),
    ],
)
def test_rule_20_realistic_chinese_contact_details_are_removed(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2025年全市新增加装电梯1200部，投入资金3500万元。",
        "建议在2026年12月31日前完成第0123号提案的办理。",
        "覆盖12个区县、356个小区，惠及约8.6万户。",
    ],
)
def test_rule_20_figures_dates_and_numbers_in_prose_are_kept(text: str) -> None:
    assert redact(text) == text


def test_rule_20_every_proposer_who_counts_must_consent() -> None:
    first, cosigner = uuid.uuid4(), uuid.uuid4()
    now = datetime(2026, 1, 5, tzinfo=UTC)
    window = Window(date(2026, 2, 2), False, start_of_day(date(2026, 2, 3)))
    with pytest.raises(ConsentMissing):  # the first proposer's consent alone is not enough
        domain.check_publishable([first, cosigner], {first: True}, window, POLICY, published=False, now=now)
    with pytest.raises(ConsentMissing):  # a refusal blocks
        domain.check_publishable(
            [first, cosigner], {first: True, cosigner: False}, window, POLICY, published=False, now=now
        )
    domain.check_publishable(
        [first, cosigner], {first: True, cosigner: True}, window, POLICY, published=False, now=now
    )
    with pytest.raises(AlreadyPublished):
        domain.check_publishable([first], {first: True}, window, POLICY, published=True, now=now)
    with pytest.raises(NotAProposer):
        domain.check_consenter(uuid.uuid4(), [first, cosigner])


def test_rule_20_the_window_closes_when_its_last_working_day_ends() -> None:
    """A reply on Friday 26 September 2025: 20 working days over National Day (1–8 October; Sunday
    28 September and Saturday 11 October are make-up workdays) end on Thursday 30 October (weekdays
    alone would give 24 October); publishing is refused from 00:00 on 31 October in Shanghai
    (30 October 16:00 UTC), allowed 1 µs before."""
    cal = WorkingCalendar(package_schedules())
    window = domain.window(datetime(2025, 9, 26, 2, tzinfo=UTC), POLICY, cal)
    assert window.due_on == date(2025, 10, 30)
    assert window.closes_at == datetime(2025, 10, 30, 16, tzinfo=UTC)
    person = uuid.uuid4()
    ok = window.closes_at - timedelta(microseconds=1)
    domain.check_publishable([person], {person: True}, window, POLICY, published=False, now=ok)
    with pytest.raises(PublicationWindowClosed):
        domain.check_publishable(
            [person], {person: True}, window, POLICY, published=False, now=window.closes_at
        )

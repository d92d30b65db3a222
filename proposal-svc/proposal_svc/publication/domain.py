"""Publication (公开, rule 20) as data plus pure functions (no framework, no I/O): who consents,
the window, and the public copy with its contact details removed.

Decisions (docs/proposals.md "Publication"): publication needs the consent of **every** proposer
who counts (the first proposer and every confirmed co-signer, those merged in included) — the
reading of "the proposer's consent" that never publishes a co-signer's words against their will.
The window is `publication_working_days` working days after the day (Asia/Shanghai) of the reply
that made the proposal `replied`, on the official calendar, and closes when its last day ends.
"""

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from cppcc_common.workdays import WorkingCalendar, local_date, start_of_day
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.publication.errors import (
    AlreadyPublished,
    ConsentMissing,
    NotAProposer,
    PublicationWindowClosed,
)

# What stands in the public copy where a contact detail was.
REDACTED = "[已隐去]"

_D = "[0-9０-９]"  # a digit, ASCII or full-width (Chinese text often has either)
_SEP = "[-－ \u3000]?"  # one optional separator inside a number: hyphen or space
_W = "A-Za-z0-9Ａ-Ｚａ-ｚ０-９"  # a letter or digit of an address, ASCII or full-width
_NO_DIGIT_BEFORE = rf"(?<!{_D})"
_NO_DIGIT_AFTER = rf"(?!{_D})"
# Order matters: an e-mail address may hold a phone number, an ID number holds 11-digit runs, and
# a fixed line's number with its extension may hold a mobile-like run (010-1300000-8001).
_CONTACTS = (
    # e-mail address (also with a full-width ＠)
    re.compile(
        rf"[{_W}][{_W}._%+\-]*\s?[@＠]\s?[{_W}][{_W}\-]*(?:[.．][{_W}\-]+)*[.．][A-Za-zＡ-Ｚａ-ｚ]{{2,}}"
    ),
    # resident ID number: 18 characters (the last may be X) or the old 15 digits
    re.compile(
        rf"{_NO_DIGIT_BEFORE}{_D}{{17}}[0-9０-９Xx]{_NO_DIGIT_AFTER}|{_NO_DIGIT_BEFORE}{_D}{{15}}{_NO_DIGIT_AFTER}"
    ),
    # fixed line with its area code, optionally in brackets and with an extension: 0571-87654321,
    # (010)12345678, 0571 8765 4321 转 123; and the 400/800 service numbers
    re.compile(
        rf"{_NO_DIGIT_BEFORE}(?:[(（][0０]{_D}{{2,3}}[)）]|[0０]{_D}{{2,3}}){_SEP}{_D}{{3,4}}{_SEP}{_D}{{4}}"
        rf"(?:\s?(?:转|分机|-|#|＃|ext\.?)\s?{_D}{{1,6}})?{_NO_DIGIT_AFTER}"
        rf"|{_NO_DIGIT_BEFORE}[48４８][0０]{{2}}{_SEP}{_D}{{3}}{_SEP}{_D}{{4}}{_NO_DIGIT_AFTER}"
    ),
    # mobile number, optionally +86: 13812345678, 138-1234-5678, 138 1234 5678
    re.compile(
        rf"{_NO_DIGIT_BEFORE}(?:(?:\+|＋)?(?:86|８６){_SEP})?[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NO_DIGIT_AFTER}"
    ),
)


# Any other number written right after a phone word: 电话：87654321, 联系方式 8765-4321 (the word stays).
_AFTER_PHONE_WORD = re.compile(
    rf"(?P<lead>(?:电话|手机|固话|传真|热线|座机|微信|QQ|qq|ＱＱ|联系方式)(?:号码|号)?[:：\s]*){_D}(?:{_SEP}{_D}){{4,}}"
)


def redact(text: str) -> str:
    """The text with every phone number, e-mail address and ID-card number replaced (rule 20)."""
    for pattern in _CONTACTS:
        text = pattern.sub(REDACTED, text)
    return _AFTER_PHONE_WORD.sub(rf"\g<lead>{REDACTED}", text)


@dataclass(frozen=True)
class Window:
    """A replied proposal's publication window: open from the reply until `closes_at`, the end of
    the `due_on` working day in Asia/Shanghai; `provisional` when counted into an unknown year."""

    due_on: date
    provisional: bool
    closes_at: datetime


def window(replied_at: datetime, policy: ProposalPolicy, cal: WorkingCalendar) -> Window:
    """Rule 20: `publication_working_days` working days after the reply's day (docs/calendar.md)."""
    due = cal.add_working_days(local_date(replied_at), policy.publication_working_days)
    return Window(due.day, due.provisional, start_of_day(due.day + timedelta(days=1)))


def check_consenter(person: UUID | None, counted: Collection[UUID]) -> UUID:
    """Rule 20: consent is given by a proposer who counts (403 for anyone else who can read it)."""
    if person is None or person not in counted:
        raise NotAProposer()
    return person


def check_unpublished(published: bool) -> None:
    """Rule 20: once published, it is not published again, and consent is final."""
    if published:
        raise AlreadyPublished()


def check_publishable(
    counted: Sequence[UUID],
    consents: Mapping[UUID, bool],
    window: Window,
    policy: ProposalPolicy,
    *,
    published: bool,
    now: datetime,
) -> None:
    """Rule 20: once; every proposer who counts consented; strictly before the window closes."""
    check_unpublished(published)
    missing = [p for p in counted if consents.get(p) is not True]
    if missing:
        raise ConsentMissing(missing=len(missing))
    if now >= window.closes_at:
        raise PublicationWindowClosed(days=policy.publication_working_days, due_on=window.due_on.isoformat())


@dataclass(frozen=True)
class PublicReply:
    """A reply as the public reads it: the unit, the class, the letter without contact details."""

    unit_name: str
    result_class: str
    result_label: str
    letter: str
    replied_at: datetime


def public_reply(
    unit_name: str, result_class: str, letter: str, replied_at: datetime, policy: ProposalPolicy
) -> PublicReply:
    """The published copy of a reply; the signatory is not named (the unit answers)."""
    label = policy.reply_classes.get(result_class, result_class)
    return PublicReply(redact(unit_name), result_class, label, redact(letter), replied_at)

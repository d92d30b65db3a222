"""The roster's columns as offices keep them, and how one cell is read. Pure functions.

A parser returns the value in the form the directory stores, or raises `CellRejected` with a
reason code from `rejections.REASONS`.
"""

import re
from datetime import date, datetime

from member_svc.directory.policy import PARTIES

NAME, PHONE, SECTOR, PARTY, COMMITTEES, POSITION, STANDING = (
    "姓名",
    "手机",
    "界别",
    "党派",
    "专委会",
    "职务",
    "是否常委",
)
STATUS = "状态"  # written by the export for the reader; an import ignores it
REQUIRED = (NAME, PHONE)
IMPORTED = (NAME, PHONE, SECTOR, PARTY, COMMITTEES, POSITION, STANDING)
EXPORTED = (*IMPORTED, STATUS)

_ALIASES = {
    "手机号": PHONE,
    "手机号码": PHONE,
    "移动电话": PHONE,
    "所属界别": SECTOR,
    "政治面貌": PARTY,
    "专门委员会": COMMITTEES,
    "所属专委会": COMMITTEES,
    "常委": STANDING,
}
# "姓  名" and "*手机" (spaced out for alignment, starred as required) are common in templates.
_HEADER_NOISE = re.compile(r"[\s*＊]")


class CellRejected(Exception):
    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def cell_text(value: object) -> str:
    """A cell as trimmed text; whole numbers without '.0' (phones are often typed as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip().strip("\u200b\ufeff").strip()


def column_of(header_cell: str) -> str | None:
    """The roster column a header cell names, or None for a column the import ignores."""
    text = _HEADER_NOISE.sub("", header_cell)
    return text if text in IMPORTED else _ALIASES.get(text)


# Values --------------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")


def phone(text: str) -> str:
    """A mainland mobile number, 11 digits; '+86', spaces and dashes are dropped."""
    if not text:
        raise CellRejected("phone_missing")
    digits = _PHONE_NOISE.sub("", text)
    if len(digits) > 11:
        digits = re.sub(r"^\+?86", "", digits)
    if not _MOBILE.fullmatch(digits):
        raise CellRejected("phone_invalid")
    return digits


def name(text: str, max_chars: int) -> str:
    if not text:
        raise CellRejected("name_missing")
    if len(text) > max_chars:
        raise CellRejected("name_too_long", max=str(max_chars))
    return text


def same_person_name(a: str, b: str) -> bool:
    """Names equal but for spaces and a trailing note in brackets: "张明（委员）" is "张 明"."""
    return _core_name(a) == _core_name(b)


def _core_name(text: str) -> str:
    return re.sub(r"[（(][^（）()]*[）)]$", "", re.sub(r"\s", "", text))


_PARTY_VARIANTS = {
    "中国共产党": "中共",
    "共产党": "中共",
    "中国国民党革命委员会": "民革",
    "中国民主同盟": "民盟",
    "中国民主建国会": "民建",
    "中国民主促进会": "民进",
    "中国农工民主党": "农工党",
    "农工民主党": "农工党",
    "农工": "农工党",
    "中国致公党": "致公党",
    "致公": "致公党",
    "九三": "九三学社",
    "台湾民主自治同盟": "台盟",
    "无党派人士": "无党派",
    "无": "无党派",
    "群众": "无党派",
}
# "中共党员", "民盟盟员", "民进会员", "九三学社社员": the affiliation followed by "member".
_MEMBER_SUFFIX = re.compile(r"(?:党员|盟员|会员|社员)$")


def party(text: str) -> str:
    """One of the directory's parties; blank is 无党派 (the directory's default too)."""
    if not text:
        return "无党派"
    bare = _MEMBER_SUFFIX.sub("", text) or text
    found = bare if bare in PARTIES else _PARTY_VARIANTS.get(bare)
    if found is None:
        raise CellRejected("party_invalid", value=text, allowed="、".join(PARTIES))
    return found


_YES = {"是", "y", "yes", "1", "✓", "√", "✔", "☑", "true", "常委"}
_NO = {"", "否", "n", "no", "0", "×", "✗", "✘", "false", "不是"}


def yes_no(text: str) -> bool:
    lowered = text.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise CellRejected("standing_invalid", value=text)


_LIST_SEPARATORS = re.compile(r"[、,，;；/\n]+")


def names_list(text: str) -> list[str]:
    """ "经济委员会、提案委员会" (also separated by , or ；) as names, without repeats."""
    return list(dict.fromkeys(p.strip() for p in _LIST_SEPARATORS.split(text) if p.strip()))


def short_name(text: str, what: str, max_chars: int = 50) -> str:
    if len(text) > max_chars:
        raise CellRejected(f"{what}_too_long", value=text[:20] + "…", max=str(max_chars))
    return text


# Positions (职务) ----------------------------------------------------------------------------

# 主席会议成员: stored as codes in `members.leadership_position`.
LEADERSHIP = {"主席": "chair", "副主席": "vice_chair", "秘书长": "secretary_general"}
LEADERSHIP_LABELS = {code: label for label, code in LEADERSHIP.items()}
# Committee positions, longest suffix first ("副主任" also ends with "主任").
COMMITTEE_POSITIONS = (("副主任", "vice_chair"), ("主任", "chair"))
COMMITTEE_POSITION_LABELS = {code: label for label, code in COMMITTEE_POSITIONS}
_LEADER = re.compile(r"^(?:\S{0,3}政协)?(副主席|主席|秘书长)$")  # "市政协副主席" is 副主席
_PLAIN_MEMBER = {"委员", "政协委员"}
_STANDING_MEMBER = {"常委", "常务委员"}


class Positions:
    """What the 职务 cell says: a leadership position, committee positions, standing membership."""

    def __init__(self) -> None:
        self.leadership: str | None = None
        self.seats: dict[str, str] = {}  # committee name → chair | vice_chair
        self.standing = False


def positions(text: str, committees: list[str]) -> Positions:
    """Reads "副主席、经济委员会主任"; a bare "主任" belongs to the row's only committee.

    A committee named here must be listed in the row's 专委会 cell, so that a work title such as
    "办公室主任" is refused instead of creating a committee.
    """
    found = Positions()
    for token in names_list(text):
        if token in _PLAIN_MEMBER:
            continue
        if token in _STANDING_MEMBER:
            found.standing = True
        elif match := _LEADER.match(token):
            if found.leadership is not None:
                raise CellRejected("position_conflict", value=text)
            found.leadership = LEADERSHIP[match.group(1)]
        else:
            committee, position = _committee_position(token, committees)
            if found.seats.get(committee, position) != position:
                raise CellRejected("position_conflict", value=text)
            found.seats[committee] = position
    return found


def _committee_position(token: str, committees: list[str]) -> tuple[str, str]:
    for suffix, position in COMMITTEE_POSITIONS:
        if token.endswith(suffix):
            committee = token.removesuffix(suffix)
            if not committee:
                if len(committees) != 1:
                    raise CellRejected("position_needs_one_committee", value=token)
                return committees[0], position
            if committee not in committees:
                raise CellRejected("position_committee_not_listed", value=token, committee=committee)
            return committee, position
    raise CellRejected("position_invalid", value=token)


def position_text(leadership: str | None, seats: list[tuple[str, str]]) -> str:
    """The 职务 cell of an export: "副主席、经济委员会主任" (committees named, so it reads back)."""
    parts = [LEADERSHIP_LABELS.get(leadership, leadership)] if leadership else []
    parts += [f"{c}{COMMITTEE_POSITION_LABELS[p]}" for c, p in seats if p in COMMITTEE_POSITION_LABELS]
    return "、".join(parts)

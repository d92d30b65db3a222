"""Why a row of a roster was rejected: a code, the column, and the words in Chinese and English."""

from dataclasses import dataclass, field
from typing import Any

from cppcc_common.text import Text

REASONS: dict[str, Text] = {
    "name_missing": Text("姓名为空", "The name is empty"),
    "name_too_long": Text("姓名过长（最多 {max} 个字）", "The name is too long (at most {max} characters)"),
    "phone_missing": Text("手机号为空", "The mobile number is empty"),
    "phone_invalid": Text(
        "手机号格式不正确（应为 11 位大陆手机号）",
        "The mobile number is not valid (11 digits, mainland China)",
    ),
    "phone_duplicate": Text("手机号与第 {rows} 行重复", "The same mobile number is also on row(s) {rows}"),
    "phone_other_org": Text(
        "该手机号已是其他组织的账号", "The mobile number belongs to another organization's account"
    ),
    "already_member": Text("已是本届委员", "Already a member of this term"),
    "name_mismatch": Text(
        "该手机号的账号姓名为“{existing}”，与本行姓名不符",
        "The account with this mobile number is named '{existing}', not as on this row",
    ),
    "sector_unknown": Text("界别“{value}”不存在", "There is no sector '{value}'"),
    "sector_too_long": Text("界别名称过长（最多 {max} 个字）", "The sector name is too long (at most {max})"),
    "committee_unknown": Text("专委会“{value}”不存在", "There is no committee '{value}'"),
    "committee_too_long": Text(
        "专委会名称过长（最多 {max} 个字）", "A committee name is too long (at most {max})"
    ),
    "too_many_committees": Text("专委会最多 {max} 个", "At most {max} committees"),
    "party_invalid": Text(
        "党派“{value}”无法识别，应为：{allowed}", "Party '{value}' is not known; use one of: {allowed}"
    ),
    "standing_invalid": Text("“{value}”无法识别，应填 是 或 否", "'{value}' is not 是 (yes) or 否 (no)"),
    "position_invalid": Text(
        "职务“{value}”无法识别（可填 主席、副主席、秘书长，或专委会的 主任、副主任）",
        "Position '{value}' is not known (主席, 副主席, 秘书长, or a committee's 主任 / 副主任)",
    ),
    "position_needs_one_committee": Text(
        "职务“{value}”须对应一个专委会：专委会栏只填一个，或写作“××委员会{value}”",
        "Position '{value}' needs one committee: list only one, or write the committee's name before it",
    ),
    "position_committee_not_listed": Text(
        "职务“{value}”中的“{committee}”未列在专委会栏",
        "The committee '{committee}' of position '{value}' is not listed under 专委会",
    ),
    "position_conflict": Text("职务“{value}”相互矛盾", "Position '{value}' contradicts itself"),
    "changed_meanwhile": Text(
        "导入时该手机号的数据被同时修改，请重新导入此行",
        "The account changed while importing; import this row again",
    ),
}


@dataclass(frozen=True)
class Reason:
    column: str
    code: str
    params: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"column": self.column, "code": self.code, "params": self.params}


def render(reason: dict[str, Any], lang: str) -> str:
    """A stored reason in the reader's language (texts may improve after the report was written)."""
    return REASONS[reason["code"]].render(lang, **reason.get("params", {}))

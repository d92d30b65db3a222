"""The timeline's and the audit trail's rules as data plus pure functions (no framework, no I/O):
each step in the app's words, and who sees which step and which detail.

A step is either the proposal's own (a history row: its status moved, or a step on its one
transition such as consent or key designation) or a step of one unit's part, read from the
handling and evaluation tables (acceptance, communications, views, countersign, reassignment
requests, replies, class corrections, extensions, completion reports) and the proposers' ratings.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

# The proposal's own steps (history actions) in the app's words.
STEP_LABELS = {
    "create": "创建提案草稿",
    "edit": "修改提案",
    "submit": "提交提案",
    "delete": "删除草稿",
    "cosign_confirm": "确认联名",
    "cosign_decline": "谢绝联名",
    "withdraw": "撤回提案",
    "return": "退回修改",
    "file": "立案",
    "not_file": "不予立案",
    "merge": "并案",
    "merge_in": "并入其他提案",
    "designate_key": "列为重点提案",
    "assign": "交办承办单位",
    "accept": "开始办理",
    "reply": "承办单位已全部答复",
    "evaluate": "评价完成，办结",
    "dissatisfied": "提案人不满意，重新办理",
    "report_completion": "办结报告已提交，办结",
    "publication_consent": "公开意见",
    "publish": "答复已公开",
    "unpublish": "撤回公开",
    "convert_to_opinion": "转为社情民意信息",
}
KIND_LABELS = {"visit": "走访", "meeting": "座谈", "phone": "电话", "email": "电子邮件"}
ROLE_LABELS = {"lead": "主办", "cohandler": "会办", "split": "分办"}


def step_label(action: str, note: str | None = None) -> str:
    """A history step in the app's words (a consent says which way)."""
    if action == "publication_consent" and note:
        return note  # 同意公开 / 不同意公开
    return STEP_LABELS.get(action, action)


@dataclass(frozen=True)
class Item:
    """One step as stored: `office_note` is shown to the office only (a reason, a co-handler's views),
    `unit_id` names the unit whose part it is (None: the proposal's own step)."""

    action: str
    label: str
    at: datetime
    seq: UUID  # the row's id (UUIDv7): the order of steps taken at the same instant
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    office_note: str | None = None
    actor_id: UUID | None = None
    actor_name: str | None = None
    unit_id: UUID | None = None
    unit_name: str | None = None


def unit_item(what: str, unit_name: str, role: str | None = None) -> str:
    """A unit's step in the app's words: 市住建局（主办）已接收."""
    role_text = f"（{ROLE_LABELS[role]}）" if role in ROLE_LABELS else ""
    return f"{unit_name}{role_text}{what}"


def for_viewer(items: Iterable[Item], *, office: bool, unit: UUID | None) -> list[Item]:
    """What a viewer sees (rule 28), oldest first: the office everything; a unit the proposal's own
    steps and its own part's; anyone else every step without the office's notes."""
    shown = []
    for item in sorted(items, key=lambda i: (i.at, i.seq)):
        if unit is not None and item.unit_id is not None and item.unit_id != unit:
            continue
        if office:
            note = item.office_note if item.office_note is not None else item.note
            shown.append(replace(item, note=note))
        else:
            shown.append(item)
    return shown


@dataclass(frozen=True)
class AuditEntry:
    """One audited change: who, when, what, why, and the values it corrected."""

    action: str
    at: datetime
    seq: UUID
    actor_id: UUID | None
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    from_status: str | None = None
    to_status: str | None = None
    unit_id: UUID | None = None


def audit_order(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    return sorted(entries, key=lambda e: (e.at, e.seq))

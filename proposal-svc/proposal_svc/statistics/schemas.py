"""The office's list and the statistics tables, as answered."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from proposal_svc.proposals.domain import AuthorKind, Kind, Status
from proposal_svc.statistics.domain import Dimension


class OfficeListItem(BaseModel):
    """A row of the office's list: what its columns show (the proposal itself is one click away)."""

    id: UUID
    number: str | None = Field(description="立案号, e.g. 第0123号")
    filing_series: str | None
    title: str
    status: Status
    kind: Kind | None
    submitted_at: datetime | None
    is_key: bool
    author_kind: AuthorKind
    author_name: str | None
    first_proposer_id: UUID
    first_proposer_name: str | None = Field(description="第一提案人")
    sector: str | None = Field(description="第一提案人界别")
    party: str | None = Field(description="第一提案人党派")
    units: list[str] = Field(description="主办、分办单位")
    reply_due_on: date | None = Field(description="最早的答复期限（尚待答复的部分）")
    overdue: bool = Field(description="有超过答复期限仍未答复的部分")
    reply_classes: list[str] = Field(description="答复类别")


class OfficePage(BaseModel):
    items: list[OfficeListItem]
    next_cursor: str | None = None


class Figure(BaseModel):
    """A count, and the office's list of the proposals behind it (its query carries the filter)."""

    value: int
    list: str | None = Field(default=None, description="该数字背后的提案列表（员工列表的查询）")


class Rate(BaseModel):
    """A share (0.8571 is 85.71 %), None when nothing is counted; with its two counts and lists."""

    value: float | None
    numerator: Figure
    denominator: Figure


class StatisticsRow(BaseModel):
    key: str | None = Field(description="单位、界别、专委会或下级政协的 id；党派名；合计为空")
    label: str
    submitted: Figure = Field(description="提交总数")
    statuses: dict[Status, Figure] = Field(description="按状态")
    filed: Figure = Field(description="立案数")
    replied: Figure = Field(description="办复数")
    reply_rate: Rate = Field(description="办复率 = 办复数 / 立案数")
    on_time: Figure = Field(description="按时办复数")
    late: Figure = Field(description="超期办复数")
    on_time_rate: Rate = Field(description="按时办复率 = 按时办复数 / 办复数")
    evaluations: Figure = Field(description="评价数（每位提案人对每份答复一次）")
    satisfied: Figure = Field(description="满意与基本满意的评价数")
    satisfaction_rate: Rate = Field(description="满意率 = 满意数 / 评价数")
    rehandled: Figure = Field(description="二次办理数")
    overdue: Figure = Field(description="当前超期数（已过答复期限仍未答复）")


class StatisticsTable(BaseModel):
    by: Dimension
    year: int | None
    session: UUID | None
    kind: Kind | None
    as_of: date = Field(description="超期按此日（北京时间）计算")
    total: StatisticsRow
    rows: list[StatisticsRow]


class ChildStatistics(BaseModel):
    """A child organization's counts and rates, side by side with the others (never its proposals)."""

    year: int | None
    as_of: date
    rows: list[StatisticsRow]

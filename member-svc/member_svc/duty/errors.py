"""The duty ledger's errors (problem+json codes `duty.*`)."""

from cppcc_common.errors import AppError, InvalidTransition
from cppcc_common.text import Text


class YearClosed(InvalidTransition):
    """The duty-year machine's invalid transition: a closed year is final."""

    code = "duty.year_closed"
    title = Text("该年度履职档案已关闭", "This duty year is closed")


class HeldEntryDecided(InvalidTransition):
    """The held-entry machine's invalid transition: a decided entry is decided for good."""

    code = "duty.held_entry_decided"
    title = Text("该待审积分已处理", "This held entry has been decided already")


class AnnualReportMissing(AppError):
    """Rule 26."""

    status = 409
    code = "duty.annual_report_missing"
    title = Text(
        "常委须先提交年度书面履职报告", "A standing member's written annual report is required first"
    )


class ScoringTableExists(AppError):
    status = 409
    code = "duty.scoring_table_exists"
    title = Text("该日期已有积分表", "A scoring table already starts on that date")


BAD_TABLE = Text("积分表取值无效。", "The scoring table has invalid values.")

from cppcc_common.errors import AppError, NotFound, PayloadTooLarge, ValidationFailed
from cppcc_common.text import Text

XLSX_HINT = Text(
    "请上传 Excel 2007 及以上格式（.xlsx）的名单。", "Upload the roster as an Excel workbook (.xlsx)."
)
OLD_XLS = Text(
    "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为”.xlsx 后再上传。",
    "This is an old Excel (.xls) file; save it as .xlsx in Excel and upload that.",
)


class ImportNotFound(NotFound):
    code = "roster.import_not_found"


class FileTooLarge(PayloadTooLarge):
    code = "roster.file_too_large"
    detail = Text("文件超过 {limit} 的上限。", "The file is larger than the limit of {limit}.")


class UnzipsTooLarge(PayloadTooLarge):
    code = "roster.unzips_too_large"
    detail = Text(
        "文件解压后超过 {limit} 的上限，未读取。请只保留名单所在的工作表后再上传。",
        "The workbook inflates to more than the limit of {limit} and was not read. "
        "Keep only the roster's sheet and upload again.",
    )


class TooManyParts(PayloadTooLarge):
    code = "roster.too_many_parts"
    detail = Text(
        "工作簿包含的部件超过 {limit} 个，未读取。请只保留名单所在的工作表后再上传。",
        "The workbook has more than {limit} parts and was not read. "
        "Keep only the roster's sheet and upload again.",
    )


class TooManyTexts(PayloadTooLarge):
    code = "roster.too_many_texts"
    detail = Text(
        "工作簿包含超过 {limit} 个不同的文本，未读取。",
        "The workbook holds more than {limit} distinct texts and was not read.",
    )


class NotAnXlsx(ValidationFailed):
    code = "roster.not_xlsx"
    title = Text("无法读取该文件", "The file cannot be read")
    detail = Text(
        "该文件不是可读取的 Excel（.xlsx）工作簿。请上传 Excel 2007 及以上格式（.xlsx）的名单。",
        "The file is not a readable Excel workbook (.xlsx). Upload the roster as .xlsx.",
    )


class OldXls(NotAnXlsx):
    code = "roster.old_xls"
    detail = OLD_XLS


class EmptyRoster(ValidationFailed):
    code = "roster.empty"
    title = Text("名单为空", "The roster is empty")
    detail = Text("工作簿中没有任何内容。", "The workbook has no content.")


class NoRows(ValidationFailed):
    code = "roster.no_rows"
    title = Text("名单没有数据行", "The roster has no rows")
    detail = Text("表头下面没有委员数据。", "There are no rows below the header.")


class MissingColumns(ValidationFailed):
    code = "roster.missing_columns"
    title = Text("缺少必填列", "Required columns are missing")
    detail = Text(
        "表头缺少：{columns}。表头须有 姓名、手机，可选 界别、党派、专委会、职务、是否常委。",
        "The header lacks: {columns}. It needs 姓名 and 手机; 界别, 党派, 专委会, 职务, 是否常委 are optional.",
    )


class TooManyRows(ValidationFailed):
    code = "roster.too_many_rows"
    title = Text("名单行数过多", "Too many rows")
    detail = Text("一次最多导入 {limit} 行，请分批导入。", "At most {limit} rows per import; split the file.")


# Why an import job failed: the failure codes it stores, and what they say.
_JOB_FAILURES: dict[str, Text] = {
    "internal": Text(
        "导入时发生内部错误，未导入任何委员，请重试。",
        "An internal error stopped the import; nothing was imported. Retry.",
    ),
    "interrupted": Text(
        "导入多次被中断，未导入任何委员，请重试。",
        "The import was interrupted too often; nothing was imported. Retry.",
    ),
}
# The file could not be read as a roster: the problem is the one the upload would have had.
UNREADABLE: tuple[type[AppError], ...] = (
    NotAnXlsx,
    OldXls,
    UnzipsTooLarge,
    TooManyParts,
    TooManyTexts,
    EmptyRoster,
    NoRows,
    MissingColumns,
    TooManyRows,
)
for _error in UNREADABLE:
    assert _error.detail is not None
    _JOB_FAILURES[_error.code.removeprefix("roster.")] = _error.detail


def failure_code(error: AppError) -> str:
    """The job's failure code for a file that could not be read (the error's code, unprefixed)."""
    return error.code.removeprefix("roster.")


def render_failure(code: str, params: dict[str, str] | None, lang: str) -> str:
    return _JOB_FAILURES[code].render(lang, **(params or {}))

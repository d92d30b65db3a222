from cppcc_common.errors import NotFound, PayloadTooLarge, ValidationFailed
from cppcc_common.i18n import Text

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
    code = "roster.file_too_large"
    detail = Text(
        "文件解压后超过 {limit} 的上限。", "The workbook inflates to more than the limit of {limit}."
    )


class NotAnXlsx(ValidationFailed):
    code = "roster.not_xlsx"
    title = Text("无法读取该文件", "The file cannot be read")
    detail = Text(
        "该文件不是可读取的 Excel（.xlsx）工作簿。请上传 Excel 2007 及以上格式（.xlsx）的名单。",
        "The file is not a readable Excel workbook (.xlsx). Upload the roster as .xlsx.",
    )


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

from cppcc_common.errors import AppError, NotFound, PayloadTooLarge
from cppcc_common.text import Text


class AttachmentNotFound(NotFound):
    code = "attachment.not_found"
    detail = Text("附件不存在或无权查看。", "The attachment does not exist or is not visible to you.")


class AttachmentTooLarge(PayloadTooLarge):
    """The organization's `attachment_max_bytes`, answered before the bytes are stored."""

    code = "attachment.too_large"
    title = Text("附件过大", "The attachment is too large")
    detail = Text("附件不能超过 {limit}。", "An attachment may have at most {limit}.")


class UnsupportedAttachmentType(AppError):
    """The declared type is not one of the organization's `attachment_types`."""

    status = 415
    code = "attachment.unsupported_type"
    title = Text("不支持的附件类型", "Unsupported attachment type")
    detail = Text("可上传的类型：{allowed}。", "Allowed types: {allowed}.")


class AttachmentContentMismatch(AppError):
    """The bytes are not a file of the declared type (their signature says otherwise)."""

    status = 422
    code = "attachment.content_mismatch"
    title = Text("文件内容与声明的类型不符", "The file's content does not match its declared type")
    detail = Text(
        "文件内容不是声明的类型（{content_type}），请检查文件后重新上传。",
        "The file is not of the declared type ({content_type}); check the file and upload it again.",
    )


class AttachmentEmpty(AppError):
    status = 422
    code = "attachment.empty"
    title = Text("附件为空", "The attachment is empty")
    detail = Text("请上传非空文件。", "Upload a file that is not empty.")


class InvalidFileName(AppError):
    """A file name with no name left once directories are dropped, control or format characters
    (bidirectional overrides disguise `exe` as `pdf`), or over the length limit."""

    status = 422
    code = "attachment.invalid_file_name"
    title = Text("文件名无效", "Invalid file name")
    detail = Text(
        "文件名不能为空、不能含控制字符或格式字符，且不超过 {max_chars} 个字符。",
        "The file name must not be empty, hold control or format characters, or exceed {max_chars}"
        " characters.",
    )


class TooManyAttachments(AppError):
    status = 422
    code = "attachment.too_many"
    title = Text("附件数量已达上限", "Too many attachments")
    detail = Text("每件提案最多 {max_count} 个附件。", "At most {max_count} attachments each.")


class SealOnlyForOrganizations(AppError):
    """Rule 2's seal attachment belongs to an organization's proposal; a member's has none."""

    status = 422
    code = "attachment.seal_only_for_organizations"
    title = Text("仅组织提案需上传盖章页", "A seal attachment is for an organization's proposal")
    detail = Text(
        "委员个人提案不上传盖章或签名页，请以“材料”（material）上传。",
        "A member's own proposal has no seal attachment; upload it with purpose 'material'.",
    )

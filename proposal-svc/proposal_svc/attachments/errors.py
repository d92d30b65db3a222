"""The attachment errors: the shared ones (`cppcc_common.attachments`) and rule 2's seal."""

from cppcc_common.attachments import (
    AttachmentContentMismatch,
    AttachmentEmpty,
    AttachmentNotFound,
    AttachmentTooLarge,
    InvalidFileName,
    TooManyAttachments,
    UnsupportedAttachmentType,
)
from cppcc_common.errors import AppError
from cppcc_common.text import Text

__all__ = [
    "AttachmentContentMismatch",
    "AttachmentEmpty",
    "AttachmentNotFound",
    "AttachmentTooLarge",
    "InvalidFileName",
    "SealOnlyForOrganizations",
    "TooManyAttachments",
    "UnsupportedAttachmentType",
]


class SealOnlyForOrganizations(AppError):
    """Rule 2's seal attachment belongs to an organization's proposal; a member's has none."""

    status = 422
    code = "attachment.seal_only_for_organizations"
    title = Text("仅组织提案需上传盖章页", "A seal attachment is for an organization's proposal")
    detail = Text(
        "委员个人提案不上传盖章或签名页，请以“材料”（material）上传。",
        "A member's own proposal has no seal attachment; upload it with purpose 'material'.",
    )

"""Attachments (附件), one implementation for every service that keeps files: what a file may be
(pure rules over its bytes and the organization's limits), the errors, and where the bytes live.

The owning object decides who may see and change its attachments (a proposal: `readable` and its
lifecycle's EDIT; an activity: its own); these rules decide whether a file is admitted: the type is
one the rules list (415), the bytes are a file of that type for the types with a known signature
(422), the size is within the limit (413), the owner holds fewer than the count (422), and the name
is a plain name (422).

The bytes live behind `cppcc_common.attachments_store` (the database store and its table).
"""

import base64
import hashlib
import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from cppcc_common.errors import AppError, NotFound, PayloadTooLarge
from cppcc_common.text import Text

MAX_FILE_NAME_CHARS = 255

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Word 97–2003 and Excel 97–2003

# The types an organization admits unless its policy says otherwise.
DEFAULT_TYPES: tuple[str, ...] = (PDF, JPEG, PNG, DOCX, DOC, XLS, XLSX)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_COUNT = 10


# --- errors -------------------------------------------------------------------------------------


class AttachmentNotFound(NotFound):
    code = "attachment.not_found"
    detail = Text("附件不存在或无权查看。", "The attachment does not exist or is not visible to you.")


class AttachmentTooLarge(PayloadTooLarge):
    """The organization's size limit, answered before the bytes are stored."""

    code = "attachment.too_large"
    title = Text("附件过大", "The attachment is too large")
    detail = Text("附件不能超过 {limit}。", "An attachment may have at most {limit}.")


class UnsupportedAttachmentType(AppError):
    """The declared type is not one of the organization's admitted types."""

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
    detail = Text("每件最多 {max_count} 个附件。", "At most {max_count} attachments each.")


# --- rules --------------------------------------------------------------------------------------


def _ooxml(part: str) -> Callable[[bytes], bool]:
    """An Office Open XML package: a zip holding `part` (a zip of anything else is not a docx)."""

    def matches(content: bytes) -> bool:
        if not content.startswith(b"PK\x03\x04"):
            return False
        try:  # the central directory only; nothing is decompressed
            with zipfile.ZipFile(io.BytesIO(content)) as package:
                return part in package.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError):
            return False

    return matches


# Each type's signature, checked against the bytes; a type a policy adds beyond these is admitted
# by its declaration alone (say so in the policy's documentation).
SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    PDF: lambda b: b"%PDF-" in b[:1024],  # readers accept the header within the first 1 KiB
    PNG: lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    JPEG: lambda b: b.startswith(b"\xff\xd8\xff"),
    DOCX: _ooxml("word/document.xml"),
    XLSX: _ooxml("xl/workbook.xml"),
    DOC: lambda b: b.startswith(_OLE2),
    XLS: lambda b: b.startswith(_OLE2),
}


class AttachmentRules(Protocol):
    """The organization's limits, as its service's policy names them."""

    @property
    def attachment_types(self) -> tuple[str, ...]: ...

    @property
    def attachment_max_bytes(self) -> int: ...

    @property
    def attachment_max_count(self) -> int: ...


@dataclass(frozen=True)
class Upload:
    file_name: str
    content_type: str
    purpose: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def media_type(declared: str) -> str:
    """`Type/Subtype; params` as the bare, lower-case media type."""
    return declared.split(";", 1)[0].strip().lower()


def admitted_type(declared: str, rules: AttachmentRules) -> str:
    """The declared media type if the organization admits it, else 415 (before any byte is read)."""
    kind = media_type(declared)
    if kind not in rules.attachment_types:
        raise UnsupportedAttachmentType(allowed=", ".join(rules.attachment_types))
    return kind


def size_limit(rules: AttachmentRules) -> AttachmentTooLarge:
    """The 413 for a file over the organization's limit (raised while the bytes stream in too)."""
    limit = rules.attachment_max_bytes
    shown = f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return AttachmentTooLarge(limit=shown)


def clean_file_name(given: str) -> str:
    """The name as given, for display: its last path segment (either slash), NFC; refused when
    nothing is left, when it holds a control or format character, or when it is too long."""
    name = unicodedata.normalize("NFC", given).replace("\\", "/").rsplit("/", 1)[-1].strip()
    bad = any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name)
    if bad or name in ("", ".", "..") or len(name) > MAX_FILE_NAME_CHARS:
        raise InvalidFileName(max_chars=MAX_FILE_NAME_CHARS)
    return name


def admit(upload: Upload, rules: AttachmentRules, *, held: int) -> None:
    """Refuses the upload unless every rule of the module docstring holds; `held` is how many
    attachments the owner has."""
    kind = admitted_type(upload.content_type, rules)
    if len(upload.content) > rules.attachment_max_bytes:
        raise size_limit(rules)
    if not upload.content:
        raise AttachmentEmpty()
    signature = SIGNATURES.get(kind)
    if signature is not None and not signature(upload.content):
        raise AttachmentContentMismatch(content_type=kind)
    if held >= rules.attachment_max_count:
        raise TooManyAttachments(max_count=rules.attachment_max_count)


# --- downloads ----------------------------------------------------------------------------------

DOWNLOAD_HEADERS_DOC = {
    "Content-Disposition": "attachment; filename*=UTF-8''<上传时的文件名>",
    "ETag": "内容的 SHA-256 / the SHA-256 of the content",
    "Repr-Digest": "sha-256=:<base64>: (RFC 9530)",
    "Digest": "SHA-256=<base64> (RFC 3230, for older clients)",
}


def download_headers(file_name: str, sha256: str) -> dict[str, str]:
    """The headers of a download: the name (ASCII fallback and RFC 5987), the digests, and what keeps
    a browser from running or framing the file."""
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\%' else "_" for c in file_name)
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
        ),
        "ETag": f'"{sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "Digest": f"SHA-256={digest}",
        "X-Content-Type-Options": "nosniff",
        # Opened in a browser anyway, the file runs no script and is framed nowhere.
        "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
        "Cache-Control": "private, no-cache",
    }

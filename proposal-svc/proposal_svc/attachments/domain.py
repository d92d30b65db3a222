"""What an attachment may be, as pure rules over its bytes and the organization's policy.

The owning object decides who may see and change its attachments (a proposal: `readable` and its
lifecycle's EDIT); these rules decide whether a file is admitted: the type is one the policy lists
(415), the bytes are a file of that type for the types with a known signature (422), the size is
within the policy (413), the owner holds fewer than the policy's count (422), the name is a plain
name (422), and a seal belongs to an organization's proposal (rule 2).
"""

import hashlib
import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from proposal_svc.attachments.errors import (
    AttachmentContentMismatch,
    AttachmentEmpty,
    AttachmentTooLarge,
    InvalidFileName,
    SealOnlyForOrganizations,
    TooManyAttachments,
    UnsupportedAttachmentType,
)
from proposal_svc.proposals.policy import ProposalPolicy

MAX_FILE_NAME_CHARS = 255


class OwnerType(StrEnum):
    PROPOSAL = "proposal"
    REPLY = "reply"  # the reply letter's attachment, added by the unit that replied


class Purpose(StrEnum):
    MATERIAL = "material"  # supporting material
    SEAL = "seal"  # an organization's seal or signature page (rule 2)


PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Word 97–2003 and Excel 97–2003


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


# Each type's signature, checked against the bytes; a type the policy adds beyond these is admitted
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


@dataclass(frozen=True)
class Upload:
    file_name: str
    content_type: str
    purpose: Purpose
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def media_type(declared: str) -> str:
    """`Type/Subtype; params` as the bare, lower-case media type."""
    return declared.split(";", 1)[0].strip().lower()


def admitted_type(declared: str, policy: ProposalPolicy) -> str:
    """The declared media type if the organization admits it, else 415 (before any byte is read)."""
    kind = media_type(declared)
    if kind not in policy.attachment_types:
        raise UnsupportedAttachmentType(allowed=", ".join(policy.attachment_types))
    return kind


def size_limit(policy: ProposalPolicy) -> AttachmentTooLarge:
    """The 413 for a file over the organization's limit (raised while the bytes stream in too)."""
    limit = policy.attachment_max_bytes
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


def admit(upload: Upload, policy: ProposalPolicy, *, held: int, organization: bool) -> None:
    """Refuses the upload unless every rule of the module docstring holds; `held` is how many
    attachments the owner has, `organization` whether it is an organization's proposal."""
    kind = admitted_type(upload.content_type, policy)
    if len(upload.content) > policy.attachment_max_bytes:
        raise size_limit(policy)
    if not upload.content:
        raise AttachmentEmpty()
    signature = SIGNATURES.get(kind)
    if signature is not None and not signature(upload.content):
        raise AttachmentContentMismatch(content_type=kind)
    if held >= policy.attachment_max_count:
        raise TooManyAttachments(max_count=policy.attachment_max_count)
    if upload.purpose is Purpose.SEAL and not organization:
        raise SealOnlyForOrganizations()

"""What an attachment may be, as pure rules over its bytes and the organization's policy.

The owning object decides who may see and change its attachments (a proposal: `readable` and its
lifecycle's EDIT); these rules decide whether a file is admitted: the type is one the policy lists
(415), the bytes are a file of that type for the types with a known signature (422), the size is
within the policy (413), the owner holds fewer than the policy's count (422), the name is a plain
name (422) — the shared rules of `cppcc_common.attachments` — and a seal belongs to an
organization's proposal (rule 2).
"""

from enum import StrEnum

from cppcc_common.attachments import (
    DOC,
    DOCX,
    JPEG,
    MAX_FILE_NAME_CHARS,
    PDF,
    PNG,
    SIGNATURES,
    XLS,
    XLSX,
    Upload,
    admitted_type,
    clean_file_name,
    media_type,
    size_limit,
)
from cppcc_common.attachments import admit as admit_file
from proposal_svc.attachments.errors import SealOnlyForOrganizations
from proposal_svc.proposals.policy import ProposalPolicy

__all__ = [
    "DOC",
    "DOCX",
    "JPEG",
    "MAX_FILE_NAME_CHARS",
    "PDF",
    "PNG",
    "SIGNATURES",
    "XLS",
    "XLSX",
    "OwnerType",
    "Purpose",
    "Upload",
    "admit",
    "admitted_type",
    "clean_file_name",
    "media_type",
    "size_limit",
]


class OwnerType(StrEnum):
    PROPOSAL = "proposal"
    REPLY = "reply"  # the reply letter's attachment, added by the unit that replied
    OPINION = "opinion"  # a public-opinion report's material, added to the author's draft


class Purpose(StrEnum):
    MATERIAL = "material"  # supporting material
    SEAL = "seal"  # an organization's seal or signature page (rule 2)


def admit(upload: Upload, policy: ProposalPolicy, *, held: int, organization: bool) -> None:
    """Refuses the upload unless every rule of the module docstring holds; `held` is how many
    attachments the owner has, `organization` whether it is an organization's proposal."""
    admit_file(upload, policy, held=held)
    if upload.purpose == Purpose.SEAL and not organization:
        raise SealOnlyForOrganizations()

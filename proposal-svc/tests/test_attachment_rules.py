"""Attachments and organization authors as pure rules (no database): signatures, names, limits,
rule 2's seal and rule 3's plenary days with their boundary instants in Asia/Shanghai."""

import io
import uuid
import zipfile
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proposal_svc.attachments.domain import (
    DOC,
    DOCX,
    JPEG,
    PDF,
    PNG,
    SIGNATURES,
    XLSX,
    Purpose,
    Upload,
    admit,
    clean_file_name,
)
from proposal_svc.attachments.errors import (
    AttachmentContentMismatch,
    AttachmentEmpty,
    AttachmentTooLarge,
    InvalidFileName,
    SealOnlyForOrganizations,
    TooManyAttachments,
    UnsupportedAttachmentType,
)
from proposal_svc.proposals.domain import (
    AuthorKind,
    Content,
    Facts,
    Plenary,
    Status,
    draft,
    in_session,
    submit,
)
from proposal_svc.proposals.errors import PlenaryNotInSession, ProposalIncomplete, SealRequired
from proposal_svc.proposals.policy import ProposalPolicy


def ooxml(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(part, "<document/>")
    return out.getvalue()


# A file of each type with a signature, as the bytes would begin.
GENUINE = {
    PDF: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
    PNG: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13),
    JPEG: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(8),
    DOCX: ooxml("word/document.xml"),
    XLSX: ooxml("xl/workbook.xml"),
    DOC: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(24),
    "application/vnd.ms-excel": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(24),
}
ME = uuid.uuid4()  # the first proposer of the drafts built here
POLICY = ProposalPolicy(attachment_max_bytes=700, attachment_max_count=3)


def upload(content_type: str, content: bytes, purpose: Purpose = Purpose.MATERIAL) -> Upload:
    return Upload(file_name="材料.bin", content_type=content_type, purpose=purpose, content=content)


def test_every_signature_checked_type_has_a_genuine_example() -> None:
    assert set(GENUINE) == set(SIGNATURES)
    for kind, content in GENUINE.items():
        admit(upload(kind, content), POLICY, held=0, organization=False)


@pytest.mark.parametrize("declared", sorted(SIGNATURES))
@pytest.mark.parametrize("actual", sorted(GENUINE))
def test_an_attachment_whose_bytes_are_another_type_is_refused(declared: str, actual: str) -> None:
    """Every declared type against every other type's bytes (Word 97 and Excel 97 share one
    container, and so one signature)."""
    same_container = {declared, actual} <= {DOC, "application/vnd.ms-excel"}
    if declared == actual or same_container:
        admit(upload(declared, GENUINE[actual]), POLICY, held=0, organization=False)
    else:
        with pytest.raises(AttachmentContentMismatch):
            admit(upload(declared, GENUINE[actual]), POLICY, held=0, organization=False)


@given(content=st.binary(min_size=1, max_size=600), declared=st.sampled_from(sorted(SIGNATURES)))
def test_random_bytes_pass_only_with_their_types_signature(content: bytes, declared: str) -> None:
    if SIGNATURES[declared](content):
        admit(upload(declared, content), POLICY, held=0, organization=False)
    else:
        with pytest.raises(AttachmentContentMismatch):
            admit(upload(declared, content), POLICY, held=0, organization=False)


def test_a_zip_that_is_not_a_word_document_is_not_a_docx() -> None:
    with pytest.raises(AttachmentContentMismatch):
        admit(upload(DOCX, GENUINE[XLSX]), POLICY, held=0, organization=False)
    with pytest.raises(AttachmentContentMismatch):
        admit(upload(DOCX, b"PK\x03\x04" + bytes(40)), POLICY, held=0, organization=False)


def test_type_size_count_emptiness_and_seal_come_from_the_policy() -> None:
    with pytest.raises(UnsupportedAttachmentType):
        admit(upload("text/html", b"<html>"), POLICY, held=0, organization=False)
    pdf = GENUINE[PDF]
    exactly = pdf + b" " * (700 - len(pdf))
    admit(upload("Application/PDF; charset=binary", exactly), POLICY, held=0, organization=False)
    with pytest.raises(AttachmentTooLarge):
        admit(upload(PDF, exactly + b" "), POLICY, held=0, organization=False)
    with pytest.raises(AttachmentEmpty):
        admit(upload(PDF, b""), POLICY, held=0, organization=False)
    admit(upload(PDF, pdf), POLICY, held=2, organization=False)
    with pytest.raises(TooManyAttachments):
        admit(upload(PDF, pdf), POLICY, held=3, organization=False)
    admit(upload(PDF, pdf, Purpose.SEAL), POLICY, held=0, organization=True)
    with pytest.raises(SealOnlyForOrganizations):
        admit(upload(PDF, pdf, Purpose.SEAL), POLICY, held=0, organization=False)


@pytest.mark.parametrize(
    ("given_name", "kept"),
    [
        ("盖章页.pdf", "盖章页.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\委员\\建议材料.docx", "建议材料.docx"),
        ("  空格.pdf  ", "空格.pdf"),
        ("e\u0301.pdf", "\u00e9.pdf"),  # NFC
    ],
)
def test_a_file_name_keeps_no_path(given_name: str, kept: str) -> None:
    assert clean_file_name(given_name) == kept


@pytest.mark.parametrize(
    "given_name",
    ["", "..", "dir/", "a\x00.pdf", "a\n.pdf", "invoice\u202efdp.exe", "a\u200b.pdf", "x" * 256 + ".pdf"],
)
def test_a_file_name_with_nothing_left_or_control_or_format_characters_is_refused(given_name: str) -> None:
    with pytest.raises(InvalidFileName):
        clean_file_name(given_name)


# Rule 3's days, with the boundary instants in Asia/Shanghai (UTC+8: the opening day begins at
# 16:00 UTC the day before).
PLENARY = Plenary(date(2027, 1, 30), date(2027, 2, 1))  # across a month end
BOUNDARIES = [
    (datetime(2027, 1, 29, 15, 59, 59, tzinfo=UTC), False),  # 1-29 23:59:59 in Shanghai
    (datetime(2027, 1, 29, 16, 0, 0, tzinfo=UTC), True),  # 1-30 00:00 in Shanghai: opening day
    (datetime(2027, 1, 31, 12, 0, 0, tzinfo=UTC), True),  # the month's last day
    (datetime(2027, 2, 1, 15, 59, 59, tzinfo=UTC), True),  # closing day, 23:59:59 in Shanghai
    (datetime(2027, 2, 1, 16, 0, 0, tzinfo=UTC), False),  # 2-2 00:00 in Shanghai: the day after
]


@pytest.mark.parametrize(("now", "sitting"), BOUNDARIES)
def test_rule_3_the_plenary_sits_from_its_opening_to_its_closing_day_in_shanghai(
    now: datetime, sitting: bool
) -> None:
    assert in_session(now, [PLENARY]) is sitting
    assert in_session(now, []) is False


@pytest.mark.parametrize(("now", "sitting"), BOUNDARIES)
@pytest.mark.parametrize("kind", list(AuthorKind))
def test_rule_3_sector_and_group_drafts_only_while_the_plenary_sits(
    now: datetime, sitting: bool, kind: AuthorKind
) -> None:
    fields = {"author_kind": kind, "author_name": None if kind is AuthorKind.MEMBER else "经济界"}
    if kind.only_in_session and not sitting:
        with pytest.raises(PlenaryNotInSession):
            draft(fields, ProposalPolicy(), first_proposer_id=ME, now=now, plenaries=[PLENARY])
    else:
        assert (
            draft(fields, ProposalPolicy(), first_proposer_id=ME, now=now, plenaries=[PLENARY]).status
            is Status.DRAFT
        )


def test_an_organizations_proposal_names_the_organization_and_a_members_names_none() -> None:
    now = datetime(2027, 1, 31, tzinfo=UTC)
    for fields, code in [
        ({"author_kind": AuthorKind.PARTY_GROUP, "author_name": "  "}, "author_name_required"),
        ({"author_kind": AuthorKind.PEOPLES_ORGANIZATION}, "author_name_required"),
        ({"author_kind": AuthorKind.MEMBER, "author_name": "民盟"}, "author_name_not_allowed"),
    ]:
        with pytest.raises(ProposalIncomplete) as refused:
            draft(fields, ProposalPolicy(), first_proposer_id=ME, now=now)
        assert [e["code"] for e in refused.value.errors] == [code]
    made = draft(
        {"author_kind": AuthorKind.PARTY_GROUP, "author_name": " 民盟某市委 "},
        ProposalPolicy(),
        first_proposer_id=ME,
        now=now,
    )
    assert made.changes["author_name"] == "民盟某市委"


def _facts(kind: AuthorKind) -> Facts:
    content = Content("关于加装电梯的建议", "情况", ("建议",))
    name = None if kind is AuthorKind.MEMBER else "某组织"
    return Facts(uuid.uuid4(), uuid.uuid4(), Status.DRAFT, content, ME, 3, author_kind=kind, author_name=name)


@pytest.mark.parametrize("kind", [k for k in AuthorKind if k.is_organization])
def test_rule_2_an_organizations_proposal_is_submitted_only_with_a_seal(kind: AuthorKind) -> None:
    now = datetime(2027, 1, 31, 4, tzinfo=UTC)
    with pytest.raises(SealRequired):
        submit(
            _facts(kind),
            ProposalPolicy(),
            now=now,
            windows=[],
            plenaries=[PLENARY],
            seals=0,
        )
    decision = submit(
        _facts(kind),
        ProposalPolicy(),
        now=now,
        windows=[],
        plenaries=[PLENARY],
        seals=1,
    )
    event = decision.events[0]
    assert decision.status is Status.SUBMITTED
    assert (event.author_kind, event.author_name) == (kind, "某组织")  # type: ignore[attr-defined]


def test_a_members_proposal_needs_no_seal_and_no_plenary() -> None:
    now = datetime(2027, 6, 1, tzinfo=UTC)
    assert submit(_facts(AuthorKind.MEMBER), ProposalPolicy(), now=now, windows=[]).status is Status.SUBMITTED


def test_rule_3_a_sector_proposal_drafted_in_session_is_not_submitted_after_it() -> None:
    after = datetime(2027, 2, 1, 16, 0, tzinfo=UTC)
    with pytest.raises(PlenaryNotInSession):
        submit(
            _facts(AuthorKind.SECTOR), ProposalPolicy(), now=after, windows=[], plenaries=[PLENARY], seals=1
        )
    party = submit(_facts(AuthorKind.PARTY_GROUP), ProposalPolicy(), now=after, windows=[], seals=1)
    assert party.status is Status.SUBMITTED

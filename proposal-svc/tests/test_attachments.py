"""Attachments of proposals through the API, on the real database: who may download (exactly who may
read the proposal), the policy's size limit before anything is stored, signatures, the checksum round
trip, and adding and removing as an EDIT of the draft."""

import asyncio
import base64
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import text

from cppcc_common.db import create_engine
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.settings import Settings

from .conftest import enrol
from .test_attachment_rules import GENUINE, ooxml

ORG = uuid.uuid4()
OTHER_ORG = uuid.uuid4()
PROPOSER = uuid.uuid4()
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
GOOD = {
    "title": "关于加快老旧小区加装电梯的建议",
    "situation": "老旧小区多层住宅普遍没有电梯。",
    "suggestions": ["简化审批流程"],
}


@pytest.fixture(scope="module")
async def people(issuer: TestIssuer, settings: Settings) -> dict[str, dict[str, str]]:
    await enrol(settings, person_id=PROPOSER, org_id=ORG)
    h = issuer.headers
    return {
        "proposer": h(sub=PROPOSER, org=ORG, roles=["member"]),
        "another_member": h(sub=uuid.uuid4(), org=ORG, roles=["member"]),
        "office_staff": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["proposals"]),
        "staff_without_scope": h(sub=uuid.uuid4(), org=ORG, roles=["staff"], scopes=["consultation"]),
        "leader": h(sub=uuid.uuid4(), org=ORG, roles=["leader"]),
        "another_org": h(sub=uuid.uuid4(), org=OTHER_ORG, roles=["staff", "member"], scopes=["proposals"]),
        "unit_user": h(sub=uuid.uuid4(), org=ORG, roles=["unit_user"], unit=uuid.uuid4()),
    }


async def draft(client: httpx.AsyncClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/proposals", json={**GOOD, **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def attach(
    client: httpx.AsyncClient,
    proposal_id: str,
    headers: dict[str, str],
    content: bytes | AsyncIterator[bytes] = GENUINE[PDF],
    *,
    content_type: str = PDF,
    name: str = "材料.pdf",
    purpose: str = "material",
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/proposals/{proposal_id}/attachments",
        content=content,
        params={"purpose": purpose},
        headers={**headers, "Content-Type": content_type, "X-Filename": quote(name), **(extra or {})},
    )


async def _policy(settings: Settings, org: uuid.UUID, values: str) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO proposal_policies (org_id, values) VALUES (:o, :v)"), {"o": org, "v": values}
        )
    await engine.dispose()


async def _stored(settings: Settings, proposal_id: str) -> tuple[int, int]:
    """(metadata rows, blob rows) of the proposal's attachments."""
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT count(*), count(b.key) FROM attachments a"
                    " LEFT JOIN attachment_blobs b ON b.key = a.storage_key WHERE a.owner_id = :p"
                ),
                {"p": proposal_id},
            )
        ).one()
        orphans = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM attachment_blobs b WHERE NOT EXISTS"
                    " (SELECT 1 FROM attachments a WHERE a.storage_key = b.key)"
                )
            )
        ).scalar_one()
    await engine.dispose()
    assert orphans == 0, "bytes stored without their attachment"
    return int(rows[0]), int(rows[1])


async def test_an_attachment_is_downloadable_exactly_by_who_can_read_its_proposal(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    """For each caller and each status (draft, submitted): the attachment's list and download answer
    as the proposal's own read does (200 or 404), and the matrix is the one rule 28 gives."""
    proposal = await draft(client, people["proposer"])
    added = await attach(client, proposal["id"], people["proposer"])
    assert added.status_code == 201, added.text
    url = f"/api/v1/proposals/{proposal['id']}"
    one = f"{url}/attachments/{added.json()['id']}"
    expected = {
        # caller: (draft, submitted)
        "proposer": (200, 200),
        "another_member": (404, 404),
        "office_staff": (404, 200),
        "staff_without_scope": (404, 404),
        "leader": (404, 200),
        "another_org": (404, 404),
        "unit_user": (404, 404),  # a unit reads only the proposals assigned to it (rule 28)
    }
    for stage in (0, 1):
        if stage == 1:
            assert (await client.post(f"{url}/submit", headers=people["proposer"])).status_code == 200
        for who, answers in expected.items():
            headers = people[who]
            proposal_read = (await client.get(url, headers=headers)).status_code
            listed = await client.get(f"{url}/attachments", headers=headers)
            downloaded = await client.get(one, headers=headers)
            assert (listed.status_code, downloaded.status_code) == (answers[stage],) * 2, (who, stage)
            assert proposal_read == answers[stage], (who, stage)
            if answers[stage] == 200:
                assert downloaded.content == GENUINE[PDF]
                assert [a["id"] for a in listed.json()] == [added.json()["id"]]
            else:
                assert downloaded.content != GENUINE[PDF]
    # Only the first proposer changes them, and only while a draft.
    for who in ("another_member", "another_org"):
        r = await attach(client, proposal["id"], people[who])
        assert r.status_code == 404, who
    for who in ("office_staff", "leader", "unit_user"):
        assert (await attach(client, proposal["id"], people[who])).status_code == 403, who
    late = await attach(client, proposal["id"], people["proposer"])
    assert late.status_code == 409 and late.json()["code"] == "proposal.invalid_transition"
    gone = await client.delete(one, headers=people["proposer"])
    assert gone.status_code == 409 and (await client.get(one, headers=people["proposer"])).status_code == 200


async def test_an_attachment_over_the_policy_size_is_413_without_being_stored(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    """The organization's limit (1,234 bytes here, not the default) holds exactly: declared by
    Content-Length, or streamed without one; nothing of a refused file is stored, nor the version bumped."""
    org, sub = uuid.uuid4(), uuid.uuid4()
    await _policy(settings, org, '{"attachment_max_bytes": 1234}')
    headers = issuer.headers(sub=sub, org=org, roles=["member"])
    proposal = await draft(client, headers)
    pdf = GENUINE[PDF]
    limit = pdf + b"%" * (1234 - len(pdf))

    async def chunked(body: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    for body in (limit + b"%", chunked(limit + b"%"), limit * 1000):
        r = await attach(client, proposal["id"], headers, body)
        assert r.status_code == 413 and r.json()["code"] == "attachment.too_large", r.text
        assert "1234 bytes" in r.json()["detail"]
        assert await _stored(settings, proposal["id"]) == (0, 0)
    current = await client.get(f"/api/v1/proposals/{proposal['id']}", headers=headers)
    assert current.json()["version"] == 1
    for body in (limit, chunked(limit)):
        r = await attach(client, proposal["id"], headers, body)
        assert r.status_code == 201 and r.json()["size"] == 1234, r.text
    assert await _stored(settings, proposal["id"]) == (2, 2)


async def test_an_attachment_whose_bytes_are_not_its_declared_type_is_refused(
    client: httpx.AsyncClient, settings: Settings, people: dict[str, dict[str, str]]
) -> None:
    """415 for a type outside the policy (before reading the file), 422 for bytes of another type."""
    proposal = await draft(client, people["proposer"])
    for content_type, content in [
        (PDF, GENUINE["image/png"]),
        ("image/png", GENUINE["image/jpeg"]),
        ("image/jpeg", b"GIF89a" + bytes(10)),
        (DOCX, ooxml("xl/workbook.xml")),
        (DOCX, b"PK\x03\x04 not really a zip"),
    ]:
        r = await attach(client, proposal["id"], people["proposer"], content, content_type=content_type)
        assert r.status_code == 422 and r.json()["code"] == "attachment.content_mismatch", content_type
    for content_type in ("text/html", "image/svg+xml", "application/octet-stream"):
        r = await attach(
            client, proposal["id"], people["proposer"], b"<svg onload=alert(1)>", content_type=content_type
        )
        assert r.status_code == 415 and r.json()["code"] == "attachment.unsupported_type", content_type
    empty = await attach(client, proposal["id"], people["proposer"], b"")
    assert empty.status_code == 422 and empty.json()["code"] == "attachment.empty"
    assert await _stored(settings, proposal["id"]) == (0, 0)
    for content_type, content in GENUINE.items():
        r = await attach(client, proposal["id"], people["proposer"], content, content_type=content_type)
        assert r.status_code == 201, (content_type, r.text)
        assert r.json()["content_type"] == content_type


async def test_an_attachments_checksum_round_trips(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    """The SHA-256 the upload answers is the content's; the download sends the same bytes with it
    as ETag, Repr-Digest and Digest, the name given (no path) and headers that keep a browser safe."""
    proposal = await draft(client, people["proposer"])
    content = GENUINE[DOCX] + b""
    name = '..\\..\\附件 一（盖章）"x".docx'
    r = await attach(client, proposal["id"], people["proposer"], content, content_type=DOCX, name=name)
    assert r.status_code == 201, r.text
    sha = hashlib.sha256(content).hexdigest()
    added = r.json()
    assert added["sha256"] == sha and added["size"] == len(content)
    assert added["file_name"] == '附件 一（盖章）"x".docx' and added["proposal_version"] == 2
    assert r.headers["location"].endswith(f"/attachments/{added['id']}")
    got = await client.get(r.headers["location"], headers=people["proposer"])
    assert got.status_code == 200 and got.content == content
    digest = base64.b64encode(hashlib.sha256(got.content).digest()).decode()
    assert got.headers["etag"] == f'"{sha}"'
    assert got.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert got.headers["digest"] == f"SHA-256={digest}"
    assert got.headers["content-type"] == DOCX
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(added['file_name'], safe='')}" in disposition
    assert '"x"' not in disposition  # the quoted fallback cannot be broken out of


async def test_adding_and_removing_an_attachment_is_an_edit_of_the_draft(
    client: httpx.AsyncClient, settings: Settings, people: dict[str, dict[str, str]]
) -> None:
    """Each bumps the proposal's version (If-Match checked like any edit) and leaves a history row."""
    proposal = await draft(client, people["proposer"])
    stale = await attach(client, proposal["id"], people["proposer"], extra={"If-Match": '"7"'})
    assert stale.status_code == 412
    added = await attach(client, proposal["id"], people["proposer"], extra={"If-Match": '"1"'})
    assert added.status_code == 201 and added.json()["proposal_version"] == 2
    one = f"/api/v1/proposals/{proposal['id']}/attachments/{added.json()['id']}"
    assert (await client.delete(one, headers={**people["proposer"], "If-Match": '"1"'})).status_code == 412
    assert (await client.delete(one, headers=people["another_member"])).status_code == 404
    assert (await client.delete(one, headers={**people["proposer"], "If-Match": '"2"'})).status_code == 204
    assert (await client.get(one, headers=people["proposer"])).status_code == 404
    assert (await client.delete(one, headers=people["proposer"])).status_code == 404
    assert await _stored(settings, proposal["id"]) == (0, 0)
    read = await client.get(f"/api/v1/proposals/{proposal['id']}", headers=people["proposer"])
    assert read.json()["version"] == 3
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT action, reason, actor_id FROM proposal_history WHERE proposal_id = :p ORDER BY at"
                ),
                {"p": proposal["id"]},
            )
        ).all()
    await engine.dispose()
    assert [r.action for r in rows] == ["create", "edit", "edit"]
    assert rows[1].reason.startswith("attachment added") and rows[2].reason.startswith("attachment removed")
    assert {r.actor_id for r in rows} == {PROPOSER}


async def test_attachments_per_proposal_are_capped_by_the_policy_even_when_uploads_race(
    client: httpx.AsyncClient, settings: Settings, issuer: TestIssuer
) -> None:
    org, sub = uuid.uuid4(), uuid.uuid4()
    await _policy(settings, org, '{"attachment_max_count": 3}')
    headers = issuer.headers(sub=sub, org=org, roles=["member"])
    proposal = await draft(client, headers)
    answers = await asyncio.gather(*(attach(client, proposal["id"], headers) for _ in range(7)))
    assert sorted(r.status_code for r in answers) == [201] * 3 + [422] * 4
    assert {r.json()["code"] for r in answers if r.status_code == 422} == {"attachment.too_many"}
    assert await _stored(settings, proposal["id"]) == (3, 3)


async def test_a_file_name_is_required_and_must_be_a_plain_name(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    proposal = await draft(client, people["proposer"])
    url = f"/api/v1/proposals/{proposal['id']}/attachments"
    missing = await client.post(
        url, content=GENUINE[PDF], headers={**people["proposer"], "Content-Type": PDF}
    )
    assert missing.status_code == 422
    for name in ("..", "invoice\u202efdp.exe", "a\x01.pdf"):
        r = await attach(client, proposal["id"], people["proposer"], name=name)
        assert r.status_code == 422, name

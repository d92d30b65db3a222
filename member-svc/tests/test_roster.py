"""Roster import from and export to Excel (DOMAIN.md §1: "staff import rosters from Excel … with a
report of every rejected row and why")."""

import asyncio
import base64
import io
import os
import time
import tracemalloc
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import func, select, text

import member_svc
from cppcc_common.change import system_change
from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.waiting import PATIENCE
from member_svc import demo
from member_svc.demo_data import make_roster
from member_svc.demo_data.accounts import ACCOUNTS
from member_svc.directory.models import Committee, Member, PlenarySession, Sector, Term, Unit
from member_svc.main import create_app
from member_svc.people.service import register_person
from member_svc.roster import columns
from member_svc.roster.columns import CellRejected
from member_svc.roster.importer import import_rows
from member_svc.roster.models import RosterImport
from member_svc.roster.policy import DEFAULT_POLICY
from member_svc.roster.sheet import read_roster
from member_svc.settings import Settings

from .conftest import seeding, sign_in_people

MIGRATIONS = Path(member_svc.__file__).parent / "migrations"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["姓名", "手机", "界别", "党派", "专委会", "职务", "是否常委"]
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
PASSWORD = "Passw0rd-乙"
PHONES = {
    "admin": "13700000001",
    "staff": "13700000002",
    "member": "13700000003",
    "other_admin": "13700000004",
    "proposals_staff": "13700000005",
    "clerk": "13700000006",  # staff of ORG without the member role (imported as a member later)
}


@pytest.fixture(scope="module")
def settings(databases: Any, module_nats_url: str) -> Settings:
    # The service's transport cap is raised above the roster policy's, so that the policy is what refuses.
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "member"),
        nats_url=module_nats_url,
        key_encryption_key=kek,
        relay_interval_seconds=0.05,
        max_body_bytes=DEFAULT_POLICY.max_file_bytes + 1024 * 1024,
    )


@pytest.fixture(scope="module")
async def tokens(settings: Settings, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    roles = {
        "admin": (["admin"], []),
        "staff": (["staff"], ["members"]),
        "member": (["member"], []),
        "other_admin": (["admin"], []),
        "proposals_staff": (["staff"], ["proposals"]),
        "clerk": (["staff"], []),
    }
    orgs = [(ORG, "戊市政协", "municipal", None), (OTHER_ORG, "己县政协", "county", ORG)]
    people = {
        who: (OTHER_ORG if who == "other_admin" else ORG, PHONES[who], r, scopes)
        for who, (r, scopes) in roles.items()
    }
    return await sign_in_people(settings, client, orgs=orgs, people=people, password=PASSWORD)


async def _term(client: httpx.AsyncClient, tokens: Any, number: int) -> str:
    r = await client.post(
        "/api/v1/orgs/current/terms",
        headers=tokens["admin"],
        json={"number": number, "starts_on": f"{2000 + number}-01-01", "ends_on": f"{2004 + number}-12-31"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def xlsx(*rows: list[Any], header: list[str] = HEADER, above: list[list[Any]] = ()) -> bytes:  # type: ignore[assignment]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [*above, header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _upload(
    client: httpx.AsyncClient, headers: dict[str, str], term_id: str, content: bytes, **params: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/members/imports",
        params={"term_id": term_id, **params},
        content=content,
        headers={**headers, "Content-Type": XLSX},
    )


async def _finished(client: httpx.AsyncClient, headers: dict[str, str], accepted: httpx.Response) -> Any:
    """The import once it ended (it runs in the background of the service)."""
    assert accepted.status_code == 202, accepted.text
    return await _until(
        client, headers, accepted.headers["location"], lambda j: j["status"] in ("done", "failed")
    )


async def _until(client: httpx.AsyncClient, headers: dict[str, str], location: str, reached: Any) -> Any:
    # A guard against a hang, not a timing: a job under tracemalloc on a loaded machine took over 20 s.
    deadline = time.monotonic() + PATIENCE
    while True:
        job = (await client.get(location, headers=headers)).json()
        if reached(job):
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.02)


async def _members(client: httpx.AsyncClient, tokens: Any, term_id: str) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/members", headers=tokens["staff"], params={"term_id": term_id, "limit": 100}
    )
    return list(r.json()["items"])


def _reasons(job: dict[str, Any]) -> dict[int, set[str]]:
    return {r["row"]: {x["code"] for x in r["reasons"]} for r in job["rejected"]}


async def _outbox(settings: Settings, subject: str) -> list[str]:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        query = text("SELECT payload FROM outbox WHERE subject = :s ORDER BY created_at")
        rows = (await conn.execute(query, {"s": subject})).scalars().all()
    await engine.dispose()
    return list(rows)


# Reading cells ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "party"),
    [
        ("中共", "中共"),
        ("中国共产党", "中共"),
        ("中共党员", "中共"),
        ("民盟盟员", "民盟"),
        ("九三学社社员", "九三学社"),
        ("中国农工民主党", "农工党"),
        ("无党派人士", "无党派"),
        ("群众", "无党派"),
        ("", "无党派"),
    ],
)
def test_party_variants_offices_write_are_understood(cell: str, party: str) -> None:
    assert columns.party(cell) == party


@pytest.mark.parametrize(
    ("cell", "standing"),
    [
        ("是", True),
        ("Y", True),
        ("1", True),
        ("✓", True),
        ("否", False),
        ("N", False),
        ("0", False),
        ("", False),
    ],
)
def test_standing_flag_variants(cell: str, standing: bool) -> None:
    assert columns.yes_no(cell) is standing


@pytest.mark.parametrize(
    ("cell", "committees", "leadership", "seats"),
    [
        ("主任", ["经济委员会"], None, {"经济委员会": "chair"}),
        ("副主任", ["经济委员会"], None, {"经济委员会": "vice_chair"}),
        ("副主席、经济委员会主任", ["经济委员会", "提案委员会"], "vice_chair", {"经济委员会": "chair"}),
        ("市政协秘书长", [], "secretary_general", {}),
        ("主席", [], "chair", {}),
        ("委员", ["提案委员会"], None, {}),
    ],
)
def test_positions_map_to_leadership_and_committee_seats(
    cell: str, committees: list[str], leadership: str | None, seats: dict[str, str]
) -> None:
    found = columns.positions(cell, committees)
    assert (found.leadership, found.seats) == (leadership, seats)


@pytest.mark.parametrize(
    ("cell", "committees", "code"),
    [
        ("主任", [], "position_needs_one_committee"),
        ("主任", ["经济委员会", "提案委员会"], "position_needs_one_committee"),
        ("办公室主任", ["经济委员会"], "position_committee_not_listed"),
        ("处长", [], "position_invalid"),
        ("主席、副主席", [], "position_conflict"),
    ],
)
def test_positions_that_cannot_be_placed_are_refused(cell: str, committees: list[str], code: str) -> None:
    with pytest.raises(CellRejected) as refused:
        columns.positions(cell, committees)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("cell", "phone"),
    [("13912345678", "13912345678"), ("139 1234 5678", "13912345678"), ("+86 139-1234-5678", "13912345678")],
)
def test_mainland_mobile_numbers_are_normalised(cell: str, phone: str) -> None:
    assert columns.phone(cell) == phone


def test_a_title_row_above_the_header_and_columns_the_import_does_not_know_are_fine() -> None:
    content = xlsx(
        [1, "赵一", "男", 13911110001.0, "  经济界 ", "示例公司 董事长"],
        ["", "", "", "", "", ""],
        [3, "", "", "", "", ""],  # a pre-numbered empty template row
        [4, "钱二", "女", "13911110002", "教育界", "示例中学 校长"],
        header=["序号", "姓  名", "性别", "*手机号码", "界别", "工作单位及职务"],
        above=[["示例市政协第十五届委员名单"]],
    )
    rows = read_roster(content, DEFAULT_POLICY)
    assert [(r.row, r.cells) for r in rows] == [
        (3, {"姓名": "赵一", "手机": "13911110001", "界别": "经济界"}),
        (6, {"姓名": "钱二", "手机": "13911110002", "界别": "教育界"}),
    ]


# Importing ----------------------------------------------------------------------------------


async def test_a_valid_roster_creates_members_with_their_seats_and_publishes_them(
    client: httpx.AsyncClient, tokens: Any, settings: Settings
) -> None:
    term = await _term(client, tokens, 21)
    content = xlsx(
        ["孙立", "13911120001", "经济界", "中共党员", "经济委员会", "主任", "是"],
        ["周敏", "13911120002", "经济界", "民建", "经济委员会、提案委员会", "经济委员会副主任", "否"],
        ["吴静", "13911120003", "教育界", "无党派人士", "", "副主席", ""],
    )
    job = await _finished(client, tokens["staff"], await _upload(client, tokens["staff"], term, content))
    assert job["status"] == "done" and job["rejected"] == []
    assert job["counts"] == {"total": 3, "valid": 3, "imported": 3, "updated": 0, "rejected": 0}
    assert job["progress"] == {"processed": 3, "total": 3}
    assert sorted(job["created_sectors"]) == ["教育界", "经济界"]
    assert sorted(job["created_committees"]) == ["提案委员会", "经济委员会"]
    committees = {
        c["id"]: c["name"]
        for c in (
            await client.get("/api/v1/committees", params={"limit": 100}, headers=tokens["staff"])
        ).json()["items"]
    }
    members = {m["name"]: m for m in await _members(client, tokens, term)}
    assert members["孙立"]["is_standing"] and members["孙立"]["party"] == "中共"
    assert {(committees[s["committee_id"]], s["position"]) for s in members["周敏"]["committees"]} == {
        ("经济委员会", "vice_chair"),
        ("提案委员会", "member"),
    }
    assert members["吴静"]["leadership_position"] == "vice_chair" and members["吴静"]["party"] == "无党派"
    registered = await _outbox(settings, "cppcc.member.registered.v1")
    for name in ("孙立", "周敏", "吴静"):
        assert any(members[name]["id"] in p and "1391112" not in p for p in registered)  # no phone in events
    sectors = await _outbox(settings, "cppcc.org.sector_registered.v1")
    assert any("经济界" in p for p in sectors)


async def _bad_roster(client: httpx.AsyncClient, tokens: Any, term: str) -> bytes:
    # Row 2: already a member of the term (added one by one before the import).
    r = await client.post(
        "/api/v1/members",
        headers=tokens["staff"],
        json={"person": {"name": "郑和", "phone": "13911130001"}, "term_id": term},
    )
    assert r.status_code == 201
    return xlsx(
        ["郑和", "13911130001", "农业界", "中共", "", "", ""],  # 2: already a member
        ["冯一", "13911130002", "农业界", "中共", "", "", ""],  # 3: fine
        ["", "12345", "农业界", "共青团员", "", "", "也许"],  # 4: no name, bad phone, party, flag
        ["陈二", "13911130004", "农业界", "民盟", "", "", ""],  # 5: phone repeated on row 7
        ["褚三", "13911130005", "农业界", "民盟", "农业和农村委员会", "", ""],  # 6: fine
        ["卫四", "139 1113 0004", "农业界", "民进", "", "", ""],  # 7: phone repeated on row 5
        ["蒋五", PHONES["other_admin"], "农业界", "中共", "", "", ""],  # 8: another organization's
        [
            "沈六",
            "13911130008",
            "农业界",
            "中共",
            "农业和农村委员会、提案委员会",
            "主任",
            "",
        ],  # 9: which committee?
        ["韩七", PHONES["clerk"], "农业界", "中共", "", "", ""],  # 10: the account is named 'clerk'
    )


async def test_all_or_nothing_imports_nothing_and_reports_every_bad_row(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    term = await _term(client, tokens, 22)
    content = await _bad_roster(client, tokens, term)
    accepted = await _upload(client, tokens["staff"], term, content, mode="all_or_nothing")
    job = await _finished(client, tokens["staff"], accepted)
    assert job["status"] == "done" and job["counts"] == {
        "total": 9,
        "valid": 2,
        "imported": 0,
        "updated": 0,
        "rejected": 7,
    }
    assert _reasons(job) == {
        2: {"already_member"},
        4: {"name_missing", "phone_invalid", "party_invalid", "standing_invalid"},
        5: {"phone_duplicate"},
        7: {"phone_duplicate"},
        8: {"phone_other_org"},
        9: {"position_needs_one_committee"},
        10: {"name_mismatch"},
    }
    row5 = next(r for r in job["rejected"] if r["row"] == 5)
    assert row5["name"] == "陈二" and row5["reasons"][0] == {
        "column": "手机",
        "code": "phone_duplicate",
        "message": "手机号与第 7 行重复",
    }
    assert [m["name"] for m in await _members(client, tokens, term)] == ["郑和"]
    assert job["created_sectors"] == [] and job["created_committees"] == []
    sectors = {
        s["name"]
        for s in (await client.get("/api/v1/sectors", params={"limit": 100}, headers=tokens["staff"])).json()[
            "items"
        ]
    }
    assert "农业界" not in sectors
    english = (
        await client.get(accepted.headers["location"], headers={**tokens["staff"], "Accept-Language": "en"})
    ).json()
    assert (
        "another organization"
        in next(r for r in english["rejected"] if r["row"] == 8)["reasons"][0]["message"]
    )


async def test_valid_only_imports_every_valid_row_in_one_go(client: httpx.AsyncClient, tokens: Any) -> None:
    term = await _term(client, tokens, 23)
    content = await _bad_roster(client, tokens, term)
    job = await _finished(
        client, tokens["staff"], await _upload(client, tokens["staff"], term, content, mode="valid_only")
    )
    assert job["counts"] == {"total": 9, "valid": 2, "imported": 2, "updated": 0, "rejected": 7}
    assert set(_reasons(job)) == {2, 4, 5, 7, 8, 9, 10}
    assert sorted(m["name"] for m in await _members(client, tokens, term)) == ["冯一", "褚三", "郑和"]
    assert job["created_sectors"] == ["农业界"] and job["created_committees"] == ["农业和农村委员会"]


async def test_a_phone_repeated_in_the_file_rejects_every_row_that_has_it(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    term = await _term(client, tokens, 24)
    content = xlsx(
        ["甲", "13911140001"],
        ["乙", "+86 13911140001"],
        ["丙", "13911140002"],
        ["丁", 13911140001],
        header=["姓名", "手机"],
    )
    job = await _finished(
        client, tokens["staff"], await _upload(client, tokens["staff"], term, content, mode="valid_only")
    )
    assert _reasons(job) == {2: {"phone_duplicate"}, 3: {"phone_duplicate"}, 5: {"phone_duplicate"}}
    assert [r["reasons"][0]["message"] for r in job["rejected"]][0] == "手机号与第 3, 5 行重复"
    assert [m["name"] for m in await _members(client, tokens, term)] == ["丙"]


async def test_without_create_missing_unknown_sectors_and_committees_are_rejected(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    term = await _term(client, tokens, 25)
    await client.post("/api/v1/sectors", headers=tokens["staff"], json={"name": "体育界"})
    content = xlsx(
        ["李甲", "13911150001", "体育界", "", "", "", ""],
        ["李乙", "13911150002", "不存在界", "", "不存在委员会", "", ""],
    )
    accepted = await _upload(
        client, tokens["admin"], term, content, mode="valid_only", create_missing="false"
    )
    job = await _finished(client, tokens["admin"], accepted)
    assert _reasons(job) == {3: {"sector_unknown", "committee_unknown"}}
    assert job["counts"]["imported"] == 1 and job["created_sectors"] == []


async def _failed(client: httpx.AsyncClient, headers: dict[str, str], accepted: httpx.Response) -> Any:
    """A job that read its file and failed: its failure (code, message)."""
    assert accepted.status_code == 202 and accepted.json()["status"] == "queued", accepted.text
    job = await _finished(client, headers, accepted)
    assert job["status"] == "failed" and job["counts"]["imported"] == 0, job
    return job["failure"]


async def test_missing_required_columns_are_named(client: httpx.AsyncClient, tokens: Any) -> None:
    term = await _term(client, tokens, 26)
    up = await _upload(client, tokens["staff"], term, xlsx(["张三", "经济界"], header=["姓名", "界别"]))
    failure = await _failed(client, tokens["staff"], up)
    assert failure["code"] == "missing_columns" and "手机" in failure["message"]
    english = {**tokens["staff"], "Accept-Language": "en"}
    up = await _upload(client, english, term, xlsx(["x"], header=["备注"]))
    assert (await _failed(client, english, up))["message"].startswith("The header lacks: 姓名、手机")
    empty = await _upload(client, tokens["staff"], term, xlsx(header=[]))
    assert (await _failed(client, tokens["staff"], empty))["code"] == "empty"
    header_only = await _upload(client, tokens["staff"], term, xlsx())
    assert (await _failed(client, tokens["staff"], header_only))["code"] == "no_rows"


async def test_a_file_that_is_not_an_xlsx_is_refused_with_a_clear_message(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    term = await _term(client, tokens, 27)
    for content in (b"\xe5\xa7\x93\xe5\x90\x8d,\xe6\x89\x8b\xe6\x9c\xba\n", b"", b"PK\x03\x04broken"):
        failure = await _failed(
            client, tokens["staff"], await _upload(client, tokens["staff"], term, content)
        )
        assert failure["code"] == "not_xlsx" and ".xlsx" in failure["message"], content
    old = await _upload(client, tokens["staff"], term, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    failure = await _failed(client, tokens["staff"], old)
    assert failure["code"] == "old_xls" and "另存为" in failure["message"]


async def test_a_file_over_the_size_cap_is_refused(client: httpx.AsyncClient, tokens: Any) -> None:
    term = await _term(client, tokens, 28)
    r = await _upload(client, tokens["staff"], term, bytes(DEFAULT_POLICY.max_file_bytes + 1))
    assert r.status_code == 413 and r.json()["code"] == "roster.file_too_large"
    assert "10 MiB" in r.json()["detail"]


async def test_an_export_imports_back_into_another_term_unchanged(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    first, second = await _term(client, tokens, 31), await _term(client, tokens, 32)
    content = xlsx(
        [
            "何一",
            "13911160001",
            "医药卫生界",
            "农工党",
            "教科卫体委员会、提案委员会",
            "副主席、教科卫体委员会主任",
            "是",
        ],
        ["吕二", "13911160002", "", "九三学社", "教科卫体委员会", "副主任", "否"],
        ["施三", "13911160003", "医药卫生界", "中共", "", "", "1"],
    )
    await _finished(client, tokens["staff"], await _upload(client, tokens["staff"], first, content))
    exported = await client.get("/api/v1/members/export", headers=tokens["staff"], params={"term_id": first})
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    assert "filename*=UTF-8''%E5%A7%94%E5%91%98%E5%90%8D%E5%8D%95" in exported.headers["content-disposition"]
    job = await _finished(
        client, tokens["staff"], await _upload(client, tokens["staff"], second, exported.content)
    )
    assert job["counts"]["imported"] == 3, job["rejected"]
    again = await client.get("/api/v1/members/export", headers=tokens["staff"], params={"term_id": second})

    def table(xlsx_bytes: bytes) -> list[tuple[Any, ...]]:
        return list(openpyxl.load_workbook(io.BytesIO(xlsx_bytes)).active.iter_rows(values_only=True))

    assert table(again.content) == table(exported.content)
    assert table(exported.content)[0] == (*HEADER, "状态")
    assert table(exported.content)[1] == (
        "何一",
        "13911160001",
        "医药卫生界",
        "农工党",
        "提案委员会、教科卫体委员会",
        "副主席、教科卫体委员会主任",
        "是",
        "在任",
    )


async def test_export_writes_names_as_text_never_as_formulas(client: httpx.AsyncClient, tokens: Any) -> None:
    term = await _term(client, tokens, 33)
    await client.post(
        "/api/v1/members",
        headers=tokens["staff"],
        json={"person": {"name": '=HYPERLINK("http://x")', "phone": "13911170001"}, "term_id": term},
    )
    exported = await client.get("/api/v1/members/export", headers=tokens["admin"], params={"term_id": term})
    cell = openpyxl.load_workbook(io.BytesIO(exported.content)).active["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'


async def test_progress_is_visible_while_the_import_runs(
    client: httpx.AsyncClient, tokens: Any, settings: Settings
) -> None:
    term = await _term(client, tokens, 34)
    rows = [[f"委员{i:02d}", f"139111800{i:02d}"] for i in range(1, 41)]
    rows[30] = ["clerk", PHONES["clerk"]]  # row 32: an existing account; importing it updates that person
    # Hold that person's row: the import blocks there, after it reported the first 25 rows.
    engine = create_engine(settings.database_url, pool_size=1)
    conn = await engine.connect()
    held = await conn.begin()
    await conn.execute(text("SELECT 1 FROM people WHERE phone = :p FOR UPDATE"), {"p": PHONES["clerk"]})
    accepted = await _upload(client, tokens["staff"], term, xlsx(*rows, header=["姓名", "手机"]))
    assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
    assert accepted.json()["progress"] == {"processed": 0, "total": 0}  # the job has not read the file yet
    running = await _until(
        client, tokens["staff"], accepted.headers["location"], lambda j: j["progress"]["processed"] >= 25
    )
    assert running["status"] == "running" and running["progress"] == {"processed": 25, "total": 40}
    assert (
        running["counts"]["imported"] == 0 and await _members(client, tokens, term) == []
    )  # one transaction
    await held.commit()
    await conn.close()
    await engine.dispose()
    job = await _finished(client, tokens["staff"], accepted)
    assert job["status"] == "done" and job["progress"] == {"processed": 40, "total": 40}
    assert job["counts"]["imported"] == 40 and job["finished_at"] >= job["started_at"]


async def test_an_import_left_unfinished_by_a_dead_process_is_resumed_by_the_next(
    client: httpx.AsyncClient, tokens: Any, settings: Settings
) -> None:
    term = await _term(client, tokens, 35)
    rows = read_roster(
        xlsx(["郭一", "13911190001"], ["郭二", "13911190002"], header=["姓名", "手机"]), DEFAULT_POLICY
    )
    engine = create_engine(settings.database_url, pool_size=1)
    ids = {"resumable": uuid.uuid4(), "given_up": uuid.uuid4()}
    async with session_scope(create_sessionmaker(engine)) as session:
        for key, attempts in (("resumable", 1), ("given_up", DEFAULT_POLICY.max_attempts)):
            session.add(
                RosterImport(
                    id=ids[key],
                    org_id=ORG,
                    term_id=uuid.UUID(term),
                    actor_id=uuid.uuid4(),
                    mode="all_or_nothing",
                    create_missing=True,
                    status="running",  # as a process that died mid-import leaves it
                    total_rows=2,
                    processed_rows=1,
                    attempts=attempts,
                    rows=[r.as_json() for r in rows] if key == "resumable" else [rows[0].as_json()],
                    report=[],
                    created_sectors=[],
                    created_committees=[],
                    created_at=await session.scalar(select(func.now())),
                )
            )
    await engine.dispose()
    async with serve_app(create_app(settings)) as restarted:  # its start-up sweep finds both
        location = f"/api/v1/members/imports/{ids['resumable']}"
        job = await _until(restarted, tokens["staff"], location, lambda j: j["status"] != "running")
        given_up = await _until(
            restarted,
            tokens["staff"],
            f"/api/v1/members/imports/{ids['given_up']}",
            lambda j: j["status"] != "running",
        )
    assert job["status"] == "done" and job["counts"]["imported"] == 2
    assert sorted(m["name"] for m in await _members(client, tokens, term)) == ["郭一", "郭二"]
    assert given_up["status"] == "failed" and given_up["failure"]["code"] == "interrupted"


async def test_only_member_managers_of_the_organization_import_and_export(
    client: httpx.AsyncClient, tokens: Any
) -> None:
    term = await _term(client, tokens, 36)
    content = xlsx(["冯权", "13911200001"], header=["姓名", "手机"])
    for who in ("member", "proposals_staff", "clerk"):
        assert (await _upload(client, tokens[who], term, content)).status_code == 403
        export = await client.get("/api/v1/members/export", headers=tokens[who], params={"term_id": term})
        assert export.status_code == 403
    accepted = await _upload(client, tokens["staff"], term, content)
    location = accepted.headers["location"]
    assert (await client.get(location, headers=tokens["member"])).status_code == 403
    assert (await client.get(location, headers=tokens["other_admin"])).status_code == 404
    assert (await _upload(client, tokens["other_admin"], term, content)).status_code == 404
    foreign_export = await client.get(
        "/api/v1/members/export", headers=tokens["other_admin"], params={"term_id": term}
    )
    assert foreign_export.status_code == 404
    assert (await _finished(client, tokens["admin"], accepted))["counts"]["imported"] == 1


@pytest.mark.parametrize(("mode", "imported"), [("all_or_nothing", 0), ("valid_only", 1)])
async def test_a_phone_taken_by_another_organization_while_importing_is_rejected_then(
    client: httpx.AsyncClient, tokens: Any, settings: Settings, mode: str, imported: int
) -> None:
    term = uuid.UUID(await _term(client, tokens, 37 if mode == "valid_only" else 38))
    taken = f"1391121000{imported}"
    rows = read_roster(
        xlsx(["陶一", taken], ["陶二", f"1391121001{imported}"], header=["姓名", "手机"]), DEFAULT_POLICY
    )
    engine = create_engine(settings.database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)

    async def meanwhile(processed: int, rejected: Any) -> None:
        if processed == 0:  # the rows were checked; before they are written, another office takes one
            async with session_scope(sessionmaker) as other:
                await register_person(
                    seeding(other),
                    id=uuid.uuid4(),
                    org_id=OTHER_ORG,
                    name="他人",
                    phone=taken,
                    password=None,
                    roles=["member"],
                )

    async with session_scope(sessionmaker) as session:
        outcome = await import_rows(
            system_change(session, now=datetime(2026, 11, 30, 2, 0, tzinfo=UTC), source="/member-svc"),
            org_id=ORG,
            term_id=term,
            rows=rows,
            mode=mode,  # type: ignore[arg-type]
            create_missing=True,
            policy=DEFAULT_POLICY,
            on_progress=meanwhile,
        )
    await engine.dispose()
    assert outcome.imported == imported and [c.row for c in outcome.rejected] == [2]
    assert outcome.rejected[0].reasons[0].code == "phone_other_org"
    assert len(await _members(client, tokens, str(term))) == imported


# Workbooks that inflate far beyond their size ----------------------------------------------

_SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _with_parts(content: bytes, parts: dict[str, bytes], *, shared_strings: str | None = None) -> bytes:
    """The workbook with more parts; `shared_strings` names one of them as the shared strings."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml" and shared_strings:
                override = f'<Override PartName="/{shared_strings}" ContentType="{_SST}"/></Types>'
                data = data.replace(b"</Types>", override.encode())
            target.writestr(info.filename, data)
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def _strings(texts: Any) -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return (
        f'<sst xmlns="{ns}">'.encode() + b"".join(f"<si><t>{t}</t></si>".encode() for t in texts) + b"</sst>"
    )


def _lying_about_sizes(content: bytes) -> bytes:
    """Every part declares 100 bytes, whatever it inflates to (the local and the central headers)."""
    data = bytearray(content)
    for signature, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start != -1:
            data[start + at : start + at + 4] = (100).to_bytes(4, "little")
            start = data.find(signature, start + 4)
    return bytes(data)


def _bomb(kind: str) -> bytes:
    roster = xlsx(["张三", "13911210001"], header=["姓名", "手机"])
    if kind == "strings_inflate_to_20_mib":  # the reported one: 57 KiB that held the service 15 s
        return _with_parts(
            roster,
            {"xl/sharedStrings.xml": _strings("政协" * 500 for _ in range(10_000))},
            shared_strings="xl/sharedStrings.xml",
        )
    if kind == "too_many_distinct_texts":  # small when inflated, but each text is an object in memory
        texts = _strings(f"{i:x}" for i in range(DEFAULT_POLICY.max_shared_strings + 1))
        return _with_parts(roster, {"xl/strings.xml": texts}, shared_strings="xl/strings.xml")
    if kind == "too_many_parts":
        return _with_parts(
            roster, {f"customXml/item{i}.xml": b"<a/>" for i in range(DEFAULT_POLICY.max_zip_entries)}
        )
    assert kind == "declared_sizes_lie"
    return _lying_about_sizes(_with_parts(roster, {"xl/media/big.xml": b"<a>" + b"x" * 30_000_000 + b"</a>"}))


@pytest.mark.parametrize(
    ("kind", "code", "term_number"),
    [
        ("strings_inflate_to_20_mib", "unzips_too_large", 40),
        ("too_many_distinct_texts", "too_many_texts", 41),
        ("too_many_parts", "too_many_parts", 42),
        ("declared_sizes_lie", "not_xlsx", 43),
    ],
)
async def test_a_workbook_that_inflates_far_beyond_its_size_is_accepted_at_once_and_its_job_fails(
    client: httpx.AsyncClient, tokens: Any, kind: str, code: str, term_number: int
) -> None:
    term = await _term(client, tokens, term_number)
    content = _bomb(kind)
    assert len(content) < 512 * 1024  # under the transport cap of 1 MiB
    tracemalloc.start()
    try:
        accepted = await _upload(client, tokens["staff"], term, content)
        # Answered before the file was read: the request only stored it.
        assert accepted.status_code == 202 and accepted.json()["progress"]["total"] == 0, accepted.text
        failure = await _failed(client, tokens["staff"], accepted)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert failure["code"] == code and failure["message"]
    # What the job allocated while refusing it: the file and the zip's directory, never its inflated parts.
    assert peak < 16 * 1024 * 1024, f"{peak / 1024 / 1024:.1f} MiB"
    assert await _members(client, tokens, term) == []


def test_a_roster_of_the_largest_allowed_size_is_within_every_reading_limit() -> None:
    rows = [
        [
            f"委员{i}",
            f"139{i:08d}",
            f"界别{i % 30}",
            "中共党员",
            "经济委员会、提案委员会",
            "经济委员会副主任",
            "是",
        ]
        for i in range(DEFAULT_POLICY.max_rows)
    ]
    assert len(read_roster(xlsx(*rows), DEFAULT_POLICY)) == DEFAULT_POLICY.max_rows


# Re-importing an export (update mode) --------------------------------------------------------


async def test_an_export_imports_back_into_its_own_term_in_update_mode_with_no_rejections_and_no_changes(
    client: httpx.AsyncClient, tokens: Any, settings: Settings
) -> None:
    term = await _term(client, tokens, 45)
    content = xlsx(
        ["严一", "13911220001", "经济界", "民建", "经济委员会、提案委员会", "副主席、经济委员会主任", "是"],
        ["华二", "13911220002", "", "九三学社", "提案委员会", "副主任", "否"],
        ["金三", "13911220003", "经济界", "中共", "", "", ""],
    )
    await _finished(client, tokens["staff"], await _upload(client, tokens["staff"], term, content))
    before = {m["name"]: m for m in await _members(client, tokens, term)}
    updates_before = len(await _outbox(settings, "cppcc.member.updated.v1"))
    exported = await client.get("/api/v1/members/export", headers=tokens["staff"], params={"term_id": term})
    again = await _upload(client, tokens["staff"], term, exported.content, update_existing="true")
    job = await _finished(client, tokens["staff"], again)
    assert job["status"] == "done" and job["rejected"] == [] and job["update_existing"] is True
    assert job["counts"] == {"total": 3, "valid": 3, "imported": 0, "updated": 0, "rejected": 0}
    assert {m["name"]: m for m in await _members(client, tokens, term)} == before
    assert len(await _outbox(settings, "cppcc.member.updated.v1")) == updates_before

    # A changed row updates that member, through the directory (a new version, an event).
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content))
    for row in sheet.active.iter_rows(min_row=2):
        if row[0].value == "金三":
            row[3].value, row[6].value = "民盟", "是"
    changed = io.BytesIO()
    sheet.save(changed)
    job = await _finished(
        client,
        tokens["staff"],
        await _upload(client, tokens["staff"], term, changed.getvalue(), update_existing="true"),
    )
    assert job["counts"] == {"total": 3, "valid": 3, "imported": 0, "updated": 1, "rejected": 0}
    after = {m["name"]: m for m in await _members(client, tokens, term)}
    assert (after["金三"]["party"], after["金三"]["is_standing"]) == ("民盟", True)
    assert after["金三"]["version"] == before["金三"]["version"] + 1
    assert {n: m for n, m in after.items() if n != "金三"} == {n: m for n, m in before.items() if n != "金三"}
    assert len(await _outbox(settings, "cppcc.member.updated.v1")) == updates_before + 1
    # Without update mode, the same file is rejected row by row as before.
    job = await _finished(
        client, tokens["staff"], await _upload(client, tokens["staff"], term, exported.content)
    )
    assert _reasons(job) == {2: {"already_member"}, 3: {"already_member"}, 4: {"already_member"}}


# The demo organization ----------------------------------------------------------------------


def test_the_demo_roster_is_what_its_generator_writes() -> None:
    committed = read_roster(make_roster.ROSTER.read_bytes(), DEFAULT_POLICY)
    assert committed == read_roster(make_roster.workbook(), DEFAULT_POLICY)
    assert len(committed) == 300


async def test_the_demo_organization_loads_through_the_importer_and_loads_once(
    databases: Any, settings: Settings
) -> None:
    demo_settings = Settings(
        database_url=databases.migrated(MIGRATIONS, "member"), nats_url=settings.nats_url
    )
    await demo.seed_demo(demo_settings)
    await demo.seed_demo(demo_settings)  # every `make run` seeds again: nothing is added twice
    engine = create_engine(demo_settings.database_url, pool_size=1)
    async with session_scope(create_sessionmaker(engine)) as session:

        async def count(model: Any) -> int:
            return int(
                await session.scalar(
                    select(func.count()).select_from(model).where(model.org_id == demo.DEMO_ORG_ID)
                )
            )

        counts = {
            m.__tablename__: await count(m) for m in (Member, Sector, Committee, Unit, Term, PlenarySession)
        }
        standing = await session.scalar(select(func.count()).select_from(Member).where(Member.is_standing))
        # Every demo account of a member signs in as a member of the roster (one record each).
        member_phones = sorted(a.phone for a in ACCOUNTS if "member" in a.roles)
        members = await session.execute(
            text(
                "SELECT p.phone FROM members m JOIN people p ON p.id = m.person_id WHERE p.phone = ANY(:phones)"
            ),
            {"phones": member_phones},
        )
        demo_members = sorted(members.scalars())
    await engine.dispose()
    assert counts == {
        "members": 300,
        "sectors": 30,
        "committees": 9,
        "units": 12,
        "terms": 1,
        "plenary_sessions": 5,
    }
    assert 25 <= int(standing or 0) <= 35 and demo_members == member_phones

"""No input a client can send to the plan and topic routes is a 5xx: control characters in any
text of any request body, out-of-range dates and naive times, huge numbers, null where a value is
required, forged cursors, bad query values and malformed If-Match headers are 4xx problems."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import consultation_svc
from consultation_svc.main import create_app
from consultation_svc.settings import Settings
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.hostile import (
    BAD_DATES,
    BAD_DATETIMES,
    json_operations,
    leaves,
    replace,
    text_with_a_control_character,
)
from cppcc_common.testing.tokens import TestIssuer

MIGRATIONS = Path(consultation_svc.__file__).parent / "migrations"
ORG = uuid.uuid4()
HYPOTHESIS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
JSON = {"Content-Type": "application/json", "If-Match": '"1"'}
MINE = ("/api/v1/consultations/plan", "/api/v1/consultations/topic")
LISTS = (
    "/api/v1/consultations/plans",
    "/api/v1/consultations/topics",
    "/api/v1/consultations/topic-windows",
)


@pytest.fixture(scope="module")
async def client(
    databases: Any, module_nats_url: str, issuer: TestIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    s = Settings(database_url=databases.migrated(MIGRATIONS, "consultation"), nats_url=module_nats_url)
    async with serve_app(create_app(s, key_source=issuer.key_source())) as c:
        yield c


@pytest.fixture(scope="module")
def everyone(issuer: TestIssuer) -> dict[str, str]:
    """One caller every plan and topic route admits."""
    return issuer.headers(org=ORG, roles=["member", "staff", "leader", "admin"], scopes=["consultation"])


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/openapi.json")).json())


def _mine(document: dict[str, Any]) -> list[Any]:
    return [op for op in json_operations(document) if op.path.startswith(MINE)]


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


@HYPOTHESIS
@given(data=st.data())
async def test_nul_and_control_characters_in_any_text_field_are_4xx(
    client: httpx.AsyncClient, everyone: dict[str, str], document: dict[str, Any], data: st.DataObject
) -> None:
    cases = [(op, path) for op in _mine(document) for path, kind in leaves(op, document) if kind == "text"]
    assert cases, "no request body has a text field"
    op, path = data.draw(st.sampled_from(cases))
    body = replace(op.body, path, data.draw(text_with_a_control_character()))
    r = await client.request(op.method, op.path, content=json.dumps(body), headers={**everyone, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


@HYPOTHESIS
@given(data=st.data())
async def test_out_of_range_dates_and_naive_times_in_any_body_are_4xx(
    client: httpx.AsyncClient, everyone: dict[str, str], document: dict[str, Any], data: st.DataObject
) -> None:
    cases = [
        (op, path, kind)
        for op in _mine(document)
        for path, kind in leaves(op, document)
        if kind in ("date", "date-time")
    ]
    assert cases, "no request body has a date"
    op, path, kind = data.draw(st.sampled_from(cases))
    body = replace(op.body, path, data.draw(BAD_DATES if kind == "date" else BAD_DATETIMES))
    r = await client.request(op.method, op.path, content=json.dumps(body), headers={**everyone, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


def _cursor(at: str, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(
    at=BAD_DATETIMES,
    id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]),
    route=st.sampled_from(LISTS),
)
async def test_out_of_range_naive_or_malformed_cursors_are_422(
    client: httpx.AsyncClient, everyone: dict[str, str], at: str, id: Any, route: str
) -> None:
    r = await client.get(route, params={"cursor": _cursor(at, id)}, headers=everyone)
    assert r.status_code == 422 and _refused(r), r.text


@pytest.mark.parametrize(
    "params",
    [
        {"year": "99999999999999999999999"},
        {"year": "1999"},
        {"status": "gone"},
        {"limit": "0"},
        {"limit": "101"},
    ],
)
async def test_bad_query_values_are_422(
    client: httpx.AsyncClient, everyone: dict[str, str], params: dict[str, str]
) -> None:
    for route in LISTS:
        r = await client.get(route, params=params, headers=everyone)
        assert r.status_code == 422 and _refused(r), (route, r.text)


async def test_huge_and_null_values_in_bodies_are_422(
    client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    for body in (
        {"year": 10**30, "title": "t"},
        {"year": 2**63, "title": "t"},
        {"year": None, "title": "t"},
        {"year": 2050, "title": "长" * 201},
        {"year": 2050, "title": "t", "notes": "x" * 5001},
        {"year": 2050, "title": "t", "unknown": 1},
        [],
        "plan",
    ):
        r = await client.post("/api/v1/consultations/plans", json=body, headers=everyone)
        assert r.status_code == 422 and _refused(r), (body, r.text)
    r = await client.post("/api/v1/consultations/plans", content=b"{\x00", headers={**everyone, **JSON})
    assert _refused(r), r.text


async def test_null_for_a_required_field_in_a_patch_is_422_and_changes_nothing(
    client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/consultations/plans", json={"year": 2051, "title": "原标题"}, headers=everyone
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = await client.patch(
        f"/api/v1/consultations/plans/{pid}", json={"title": None}, headers={**everyone, **JSON}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    r = await client.patch(
        f"/api/v1/consultations/plans/{pid}", json={"notes": None}, headers={**everyone, **JSON}
    )
    assert r.status_code == 200 and r.json()["version"] == 2  # notes are nullable: clearing them is a change
    assert (await client.get(f"/api/v1/consultations/plans/{pid}", headers=everyone)).json()[
        "title"
    ] == "原标题"


@pytest.mark.parametrize("if_match", ["3", "W/", '"1', '"1" "2"', '"' + "9" * 300 + '"'])
async def test_malformed_if_match_headers_are_400(
    client: httpx.AsyncClient, everyone: dict[str, str], if_match: str
) -> None:
    r = await client.post("/api/v1/consultations/plans", json={"year": 2052, "title": "t"}, headers=everyone)
    pid = (
        r.json()["id"]
        if r.status_code == 201
        else (
            await client.get("/api/v1/consultations/plans", params={"year": 2052}, headers=everyone)
        ).json()["items"][0]["id"]
    )
    r = await client.patch(
        f"/api/v1/consultations/plans/{pid}", json={"title": "x"}, headers={**everyone, "If-Match": if_match}
    )
    assert r.status_code == 400 and r.json()["code"] == "bad_if_match", r.text


async def test_an_entry_with_hostile_structure_is_422(
    client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    r = await client.post("/api/v1/consultations/plans", json={"year": 2053, "title": "t"}, headers=everyone)
    pid = r.json()["id"]
    base = {
        "topic": "t",
        "form": "thematic",
        "planned_month": 1,
        "participants": {"scope": "all"},
        "lead_department": "d",
    }
    for change in (
        {"planned_month": 13},
        {"planned_month": 2**64},
        {"form": "x" * 41},
        {"form": "../../etc"},
        {"participants": {"scope": "everyone"}},
        {"participants": {"scope": "members", "member_ids": ["not-a-uuid"]}},
        {"participants": {"scope": "members", "member_ids": [str(uuid.uuid4())] * 1001}},
        {"participants": None},
        {"lead_unit_id": "0"},
    ):
        r = await client.post(
            f"/api/v1/consultations/plans/{pid}/entries", json={**base, **change}, headers=everyone
        )
        assert r.status_code == 422 and _refused(r), (change, r.text)

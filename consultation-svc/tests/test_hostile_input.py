"""No input a client can send consultation-svc is a 5xx: control characters in any text of any
request body, out-of-range or naive times in bodies, queries and cursors, null for a required field
of a PATCH, huge values, bad headers on the materials upload."""

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from cppcc_common.testing.hostile import (
    BAD_DATETIMES,
    json_operations,
    leaves,
    replace,
    text_with_a_control_character,
)
from cppcc_common.testing.tokens import TestIssuer

from .conftest import BASE, auth, enrol

ORG = uuid.uuid4()
PERSON = uuid.uuid4()
HYPOTHESIS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
JSON = {"Content-Type": "application/json", "If-Match": '"1"'}
STARTS = BASE + timedelta(days=20)


@pytest.fixture(scope="module")
async def everyone(issuer: TestIssuer, db: AsyncEngine) -> dict[str, str]:
    """One caller every route admits: a member who is also consultation staff, a leader and an admin."""
    await enrol(db, person_id=PERSON, org_id=ORG)
    return auth(
        issuer, sub=PERSON, org=ORG, roles=["member", "staff", "leader", "admin"], scopes=["consultation"]
    )


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/openapi.json")).json())


@pytest.fixture(scope="module")
async def activity(client: httpx.AsyncClient, everyone: dict[str, str]) -> str:
    body = {
        "form": "thematic",
        "title": "专题协商会",
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(hours=2)).isoformat(),
    }
    r = await client.post("/api/v1/consultations/activities", json=body, headers=everyone)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


def _ops(document: dict[str, Any], kind: str) -> list[tuple[Any, Any]]:
    return [(op, path) for op in json_operations(document) for path, k in leaves(op, document) if k == kind]


@HYPOTHESIS
@given(data=st.data())
async def test_nul_and_control_characters_in_any_text_field_are_4xx(
    client: httpx.AsyncClient, everyone: dict[str, str], document: dict[str, Any], data: st.DataObject
) -> None:
    ops = _ops(document, "text")
    assert ops, "no request body has a text field"
    op, path = data.draw(st.sampled_from(ops))
    body = replace(op.body, path, data.draw(text_with_a_control_character()))
    r = await client.request(op.method, op.path, content=json.dumps(body), headers={**everyone, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


@HYPOTHESIS
@given(data=st.data(), when=BAD_DATETIMES)
async def test_out_of_range_or_naive_times_in_any_body_are_4xx(
    client: httpx.AsyncClient,
    everyone: dict[str, str],
    document: dict[str, Any],
    data: st.DataObject,
    when: str,
) -> None:
    ops = _ops(document, "date-time")
    assert ops, "no request body has a time"
    op, path = data.draw(st.sampled_from(ops))
    r = await client.request(
        op.method, op.path, content=json.dumps(replace(op.body, path, when)), headers={**everyone, **JSON}
    )
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


def _cursor(at: str, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(at=BAD_DATETIMES, id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]))
async def test_out_of_range_naive_or_malformed_cursors_and_time_filters_are_422(
    client: httpx.AsyncClient, everyone: dict[str, str], at: str, id: Any
) -> None:
    r = await client.get(
        "/api/v1/consultations/activities", params={"cursor": _cursor(at, id)}, headers=everyone
    )
    assert r.status_code == 422 and _refused(r), r.text
    r = await client.get("/api/v1/consultations/activities", params={"starts_from": at}, headers=everyone)
    assert r.status_code == 422 and _refused(r), r.text


@pytest.mark.parametrize(
    "cursor", ["", "!!!", "AAAA", "x" * 200, base64.urlsafe_b64encode(b"\x00" * 3).decode()]
)
async def test_malformed_id_cursors_of_the_activity_lists_are_422(
    client: httpx.AsyncClient, everyone: dict[str, str], activity: str, cursor: str
) -> None:
    for tail in ("invitees", "leaves", "attendances", "history"):
        r = await client.get(
            f"/api/v1/consultations/activities/{activity}/{tail}", params={"cursor": cursor}, headers=everyone
        )
        assert r.status_code in (200, 422) and (r.status_code == 200 or _refused(r)), f"{tail}: {r.text}"


async def test_null_for_a_required_field_in_a_patch_is_422_and_nullable_ones_clear(
    client: httpx.AsyncClient, everyone: dict[str, str], activity: str, document: dict[str, Any]
) -> None:
    url = f"/api/v1/consultations/activities/{activity}"
    schema = document["paths"]["/api/v1/consultations/activities/{activity_id}"]["patch"]["requestBody"][
        "content"
    ]
    fields = document["components"]["schemas"][schema["application/json"]["schema"]["$ref"].split("/")[-1]]
    nullable = {
        "description",
        "venue",
        "online_link",
        "organizer_person_id",
        "organizer_name",
        "plan_entry_id",
    }
    for name in fields["properties"]:
        r = await client.patch(url, json={name: None}, headers=everyone)
        if name in nullable:
            assert r.status_code == 200, f"{name}: {r.text}"
            continue
        assert r.status_code == 422 and _refused(r), f"{name}: {r.status_code} {r.text[:200]}"
        assert r.json()["errors"][0]["field"] == name
    r = await client.patch(
        "/api/v1/consultations/activity-policy", json={"notice_lead_days": None}, headers=everyone
    )
    assert r.status_code == 422 and _refused(r), r.text


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x" * 201},
        {"notice_lead_days": 2**63},
        {"online_link": "javascript:alert(1)"},
        {"starts_at": "2025-10-01T09:00:00+08:00", "ends_at": "2099-10-01T09:00:00+08:00"},
        {"form": "x" * 41},
        [],
        "x",
    ],
)
async def test_huge_and_wrong_values_are_4xx(
    client: httpx.AsyncClient, everyone: dict[str, str], activity: str, body: Any
) -> None:
    r = await client.patch(f"/api/v1/consultations/activities/{activity}", json=body, headers=everyone)
    assert _refused(r), r.text
    r = await client.post(
        f"/api/v1/consultations/activities/{activity}/invitees",
        json={"person_ids": [str(uuid.uuid4()) for _ in range(2001)]},
        headers=everyone,
    )
    assert r.status_code == 422 and _refused(r)
    for if_match in ("garbage", '"' + "9" * 300 + '"', 'W/"1"x'):
        r = await client.patch(
            f"/api/v1/consultations/activities/{activity}",
            json={"title": "t"},
            headers={**everyone, "If-Match": if_match},
        )
        assert _refused(r), f"{if_match}: {r.status_code}"


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/pdf", "X-Filename": "%00evil.pdf"},
        {"Content-Type": "application/pdf", "X-Filename": "a%E2%80%AEfdp.exe"},
        {"Content-Type": "application/pdf", "X-Filename": "x" * 1201},
        {"Content-Type": "application/" + "x" * 300, "X-Filename": "a.pdf"},
        {"Content-Type": "application/pdf"},
        {"Content-Type": "application/pdf", "X-Filename": "a.pdf", "Content-Length": "99999999999"},
    ],
)
async def test_bad_upload_headers_are_4xx(
    client: httpx.AsyncClient, everyone: dict[str, str], activity: str, headers: dict[str, str]
) -> None:
    r = await client.post(
        f"/api/v1/consultations/activities/{activity}/materials",
        content=b"%PDF-1.7\n%%EOF\n",
        headers={**everyone, **headers},
    )
    assert _refused(r), f"{headers}: {r.status_code} {r.text[:200]}"

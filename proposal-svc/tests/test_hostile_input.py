"""No input a client can send is a 5xx: control characters in any text of any request body, out-of-
range or naive times in cursors, null for a required field of a PATCH (issue 6)."""

import base64
import json
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppcc_common.testing.hostile import (
    BAD_DATETIMES,
    json_operations,
    leaves,
    replace,
    text_with_a_control_character,
)
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.settings import Settings

from .conftest import enrol

ORG = uuid.uuid4()
MEMBER = uuid.uuid4()
HYPOTHESIS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
async def member(issuer: TestIssuer, settings: Settings) -> dict[str, str]:
    await enrol(settings, person_id=MEMBER, org_id=ORG)
    return issuer.headers(sub=MEMBER, org=ORG, roles=["member", "staff", "leader"], scopes=["proposals"])


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/openapi.json")).json()


# json.dumps escapes lone surrogates (\ud800), as a client would have to.
JSON = {"Content-Type": "application/json", "If-Match": '"1"'}


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


@HYPOTHESIS
@given(data=st.data())
async def test_nul_and_control_characters_in_any_text_field_are_4xx(
    client: httpx.AsyncClient, member: dict[str, str], document: dict[str, Any], data: st.DataObject
) -> None:
    ops = [
        (op, path)
        for op in json_operations(document)
        for path, kind in leaves(op, document)
        if kind == "text"
    ]
    assert ops, "no request body has a text field"
    op, path = data.draw(st.sampled_from(ops))
    body = replace(op.body, path, data.draw(text_with_a_control_character()))
    r = await client.request(op.method, op.path, content=json.dumps(body), headers={**member, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


def _cursor(at: str, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(at=BAD_DATETIMES, id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]))
async def test_out_of_range_naive_or_malformed_cursors_are_422(
    client: httpx.AsyncClient, member: dict[str, str], at: str, id: Any
) -> None:
    r = await client.get("/api/v1/proposals", params={"cursor": _cursor(at, id)}, headers=member)
    assert r.status_code == 422 and _refused(r), r.text


async def test_null_for_a_required_field_in_a_patch_is_422(
    client: httpx.AsyncClient, member: dict[str, str], document: dict[str, Any]
) -> None:
    r = await client.post("/api/v1/proposals", json={"title": "电梯", "situation": "情况"}, headers=member)
    assert r.status_code == 201, r.text
    draft = r.json()
    schema = document["paths"]["/api/v1/proposals/{proposal_id}"]["patch"]["requestBody"]["content"]
    fields = document["components"]["schemas"][schema["application/json"]["schema"]["$ref"].split("/")[-1]]
    for name in fields["properties"]:
        r = await client.patch(
            f"/api/v1/proposals/{draft['id']}", json={name: None}, headers={**member, "If-Match": '"1"'}
        )
        if name == "suggested_unit":  # nullable: clearing it is a change
            assert r.status_code == 200, r.text
            r = await client.patch(
                f"/api/v1/proposals/{draft['id']}",
                json={name: "住建局"},
                headers={**member, "If-Match": '"2"'},
            )
            assert r.status_code == 200, r.text
            continue
        assert r.status_code == 422 and _refused(r), f"{name}: {r.status_code} {r.text[:200]}"
        assert r.json()["errors"][0]["field"] == name
    r = await client.get(f"/api/v1/proposals/{draft['id']}", headers=member)
    assert r.json()["title"] == "电梯" and r.json()["situation"] == "情况" and r.json()["version"] == 3


# The office's list, statistics and exports take everything as query parameters.
STATISTICS_ROUTES = (
    "/api/v1/proposals/office",
    "/api/v1/proposals/office/export",
    "/api/v1/proposals/statistics",
    "/api/v1/proposals/statistics/export",
    "/api/v1/proposals/statistics/children",
    "/api/v1/proposals/statistics/children/export",
)
HOSTILE_VALUES = st.one_of(
    text_with_a_control_character(surrogates=False),
    st.sampled_from(
        [
            "",
            " ",
            "x" * 5000,
            "-1",
            "0",
            "99999999999999999999",
            "1e309",
            "NaN",
            "null",
            "[]",
            "{}",
            "%00",
            "\u202e",
        ]
    ),
)
PARAMETERS = (
    "year",
    "session",
    "kind",
    "status",
    "unit",
    "sector",
    "party",
    "committee",
    "key",
    "overdue",
    "late",
    "rehandled",
    "reply_class",
    "rating",
    "q",
    "sort",
    "by",
    "limit",
    "cursor",
)


@HYPOTHESIS
@given(
    path=st.sampled_from(STATISTICS_ROUTES),
    name=st.sampled_from(PARAMETERS),
    value=HOSTILE_VALUES,
)
async def test_hostile_query_parameters_of_the_statistics_routes_are_never_5xx(
    client: httpx.AsyncClient, member: dict[str, str], path: str, name: str, value: str
) -> None:
    r = await client.get(path, params={name: value}, headers=member)
    assert r.status_code < 500, f"{path}?{name}={value!r}: {r.status_code} {r.text[:200]}"
    if r.status_code >= 400:
        assert _refused(r), r.text


@HYPOTHESIS
@given(
    sort=st.sampled_from(["newest", "oldest", "number"]),
    raw=st.one_of(
        st.lists(st.one_of(st.text(max_size=20), st.integers(), st.none(), st.floats()), max_size=5),
        st.sampled_from(
            [["number", "~", 2**40, str(uuid.uuid4())], ["newest", "0001-01-01T00:00:00+00:00", "x"]]
        ),
    ),
)
async def test_forged_cursors_of_the_office_list_are_422(
    client: httpx.AsyncClient, member: dict[str, str], sort: str, raw: Any
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    r = await client.get("/api/v1/proposals/office", params={"sort": sort, "cursor": cursor}, headers=member)
    assert r.status_code in (200, 422) and (r.status_code == 200 or _refused(r)), r.text

"""No input a client can send is a 5xx: control characters in any text of any request body, dates
out of range (a year-1 plenary session), naive times, null for a required field of a PATCH (issue 6)."""

import json
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppcc_common.testing.hostile import (
    BAD_DATES,
    BAD_DATETIMES,
    json_operations,
    leaves,
    replace,
    text_with_a_control_character,
)
from member_svc.settings import Settings

from .conftest import sign_in_people

ORG = uuid.uuid4()
HYPOTHESIS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
# json.dumps escapes lone surrogates (\ud800), as a client would have to.
JSON = {"Content-Type": "application/json", "If-Match": '"1"'}


@pytest.fixture(scope="module")
async def admin(settings: Settings, client: httpx.AsyncClient) -> dict[str, str]:
    people = {"admin": (ORG, "13900000001", ["admin", "staff", "member", "leader"], ["members", "proposals"])}
    orgs = [(ORG, "戊市政协", "municipal", None)]
    return (await sign_in_people(settings, client, orgs=orgs, people=people, password="Passw0rd-甲"))["admin"]


@pytest.fixture(scope="module")
async def term(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/orgs/current/terms",
        headers=admin,
        json={"number": 15, "starts_on": "2023-01-01", "ends_on": "2027-12-31"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/openapi.json")).json()


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


def _cases(document: dict[str, Any], term: dict[str, Any], kinds: set[str]) -> list[Any]:
    return [
        (op, path, kind)
        for op in json_operations(document, known={"term_id": term["id"]})
        for path, kind in leaves(op, document)
        if kind in kinds
    ]


@HYPOTHESIS
@given(data=st.data())
async def test_nul_and_control_characters_in_any_text_field_are_4xx(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    term: dict[str, Any],
    document: dict[str, Any],
    data: st.DataObject,
) -> None:
    op, path, _ = data.draw(st.sampled_from(_cases(document, term, {"text"})))
    body = replace(op.body, path, data.draw(text_with_a_control_character()))
    r = await client.request(op.method, op.path, content=json.dumps(body), headers={**admin, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


@HYPOTHESIS
@given(data=st.data())
async def test_out_of_range_dates_and_naive_times_in_any_body_are_4xx(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    term: dict[str, Any],
    document: dict[str, Any],
    data: st.DataObject,
) -> None:
    cases = _cases(document, term, {"date", "date-time"})
    assert {op.path for op, _, _ in cases} >= {"/api/v1/orgs/current/sessions", "/api/v1/orgs/current/terms"}
    op, path, kind = data.draw(st.sampled_from(cases))
    body = replace(op.body, path, data.draw(BAD_DATES if kind == "date" else BAD_DATETIMES))
    r = await client.request(op.method, op.path, content=json.dumps(body), headers={**admin, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


async def test_a_year_1_plenary_session_is_422(
    client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
) -> None:
    body = {
        "term_id": term["id"],
        "number": 1,
        "opens_on": "0001-01-31",
        "closes_on": "0001-02-01",
        "proposal_deadline_at": "2024-01-01T18:00:00+08:00",
    }
    r = await client.post("/api/v1/orgs/current/sessions", json=body, headers=admin)
    assert r.status_code == 422 and {e["code"] for e in r.json()["errors"]} == {"date_out_of_range"}, r.text


async def test_null_for_a_required_field_in_a_patch_is_422(
    client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any], document: dict[str, Any]
) -> None:
    person = {"name": "空值", "phone": "13900000099"}
    r = await client.post("/api/v1/members", json={"person": person, "term_id": term["id"]}, headers=admin)
    assert r.status_code == 201, r.text
    member = r.json()
    patch = document["paths"]["/api/v1/members/{member_id}"]["patch"]["requestBody"]["content"]
    ref = patch["application/json"]["schema"]["$ref"].split("/")[-1]
    version = member["version"]
    for name in document["components"]["schemas"][ref]["properties"]:
        r = await client.patch(
            f"/api/v1/members/{member['id']}",
            json={name: None},
            headers={**admin, "If-Match": f'"{version}"'},
        )
        if name in ("sector_id", "leadership_position"):  # nullable: clearing them is a change
            assert r.status_code == 200, r.text
            version = r.json()["version"]
            continue
        assert r.status_code == 422 and _refused(r), f"{name}: {r.status_code} {r.text[:200]}"
        assert r.json()["errors"][0]["code"] == "null_not_allowed"
    r = await client.get(f"/api/v1/members/{member['id']}", headers=admin)
    assert r.json()["party"] == member["party"] and r.json()["is_standing"] is False


@HYPOTHESIS
@given(
    field=st.sampled_from(["grant_type", "client_id", "client_secret"]),
    bad=text_with_a_control_character(surrogates=False),
)
async def test_nul_and_control_characters_in_token_form_fields_are_4xx(
    client: httpx.AsyncClient, field: str, bad: str
) -> None:
    form = {"grant_type": "client_credentials", "client_id": "unit-a-system", "client_secret": "s3cret"}
    form[field] = bad
    r = await client.post("/api/v1/auth/token", data=form)
    assert 400 <= r.status_code < 500, f"{field}: {r.status_code} {r.text[:200]}"

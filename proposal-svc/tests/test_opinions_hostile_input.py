"""No input a client can send to the public-opinion report routes is a 5xx: control characters in
every text of every request body (each route, each text, on a real report), null for a PATCH's
fields, huge values, bad headers, forged cursors. The general walk (test_hostile_input.py) draws
from the whole document; this one covers every opinions route and field by itself."""

import base64
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
    FORBIDDEN_CHARACTERS,
    json_operations,
    leaves,
    replace,
)
from cppcc_common.testing.tokens import TestIssuer
from proposal_svc.settings import Settings

from .conftest import enrol

ORG = uuid.uuid4()
MEMBER = uuid.uuid4()
HYPOTHESIS = settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
PREFIX = "/api/v1/opinions"
REPORT = {"title": "关于某事的建议", "situation": "情况", "analysis": "分析", "suggestion": "建议"}


@pytest.fixture(scope="module")
async def caller(issuer: TestIssuer, settings: Settings) -> dict[str, str]:
    """A member who is also the office: every route lets them reach its rule."""
    await enrol(settings, person_id=MEMBER, org_id=ORG)
    return issuer.headers(sub=MEMBER, org=ORG, roles=["member", "staff"], scopes=["opinions", "proposals"])


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/openapi.json")).json()


@pytest.fixture(scope="module")
async def reports(client: httpx.AsyncClient, caller: dict[str, str]) -> dict[str, str]:
    """A draft and an adopted report of the caller."""
    draft = (await client.post(PREFIX, json=REPORT, headers=caller)).json()["id"]
    adopted = (await client.post(PREFIX, json=REPORT, headers=caller)).json()["id"]
    assert (await client.post(f"{PREFIX}/{adopted}/submit", headers=caller)).status_code == 200
    body = {"level": "municipal", "adopted_by": "市政协"}
    assert (await client.post(f"{PREFIX}/{adopted}/adopt", json=body, headers=caller)).status_code == 200
    return {"draft": draft, "adopted": adopted}


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


def _real(path: str, template: str, reports: dict[str, str]) -> str:
    """The operation's path on a real report: the draft for the author's routes, else the adopted one."""
    drafty = template == PREFIX + "/{report_id}" or template.endswith(("/submit", "/withdraw"))
    report = reports["draft"] if drafty else reports["adopted"]
    return template.replace("{report_id}", report).replace("{proposal_id}", str(uuid.uuid4()))


def _operations(document: dict[str, Any]) -> list[tuple[Any, str]]:
    templates = {
        method.upper(): [
            p for p in document["paths"] if p.startswith(PREFIX) and method in document["paths"][p]
        ]
        for method in ("post", "patch", "put")
    }
    found = []
    for op in json_operations(document):
        for template in templates.get(op.method, []):
            filled = template.replace("{report_id}", "X").replace("{proposal_id}", "X")
            if op.path.count("/") == filled.count("/") and all(
                a == b or b == "X" for a, b in zip(op.path.split("/"), filled.split("/"), strict=True)
            ):
                found.append((op, template))
    return found


async def test_every_opinions_route_with_a_body_is_walked(document: dict[str, Any]) -> None:
    walked = {(op.method, template) for op, template in _operations(document)}
    expected = {
        (m.upper(), p)
        for p, item in document["paths"].items()
        if p.startswith(PREFIX)
        for m, o in item.items()
        if "application/json" in (o.get("requestBody") or {}).get("content", {})
    }
    assert walked == expected and len(expected) >= 10


async def test_a_control_character_in_every_text_of_every_opinions_body_is_4xx(
    client: httpx.AsyncClient, caller: dict[str, str], document: dict[str, Any], reports: dict[str, str]
) -> None:
    checked = 0
    for op, template in _operations(document):
        for path, kind in leaves(op, document):
            if kind != "text":
                continue
            for bad in ("\x00", "\x1b", "\ud800", "\u202e"):
                if bad not in FORBIDDEN_CHARACTERS and bad != "\ud800":
                    continue
                body = replace(op.body, path, f"正文{bad}正文")
                url = _real(op.path, template, reports)
                r = await client.request(
                    op.method,
                    url,
                    content=json.dumps(body),
                    headers={**caller, "Content-Type": "application/json"},
                )
                assert _refused(r) and r.status_code == 422, (
                    f"{op.method} {template} {path}: {r.status_code} {r.text[:200]}"
                )
                checked += 1
    assert checked >= 40


@pytest.mark.parametrize("field", ["title", "situation", "analysis", "suggestion"])
async def test_null_for_a_field_of_the_draft_patch_is_422(
    client: httpx.AsyncClient, caller: dict[str, str], reports: dict[str, str], field: str
) -> None:
    r = await client.patch(f"{PREFIX}/{reports['draft']}", json={field: None}, headers=caller)
    assert r.status_code == 422 and _refused(r) and r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("", {"title": "题" * 201}),
        ("", {"situation": "情" * 20001}),
        ("", {"title": 5}),
        ("", [REPORT]),
        ("", {"title": "x", "unknown": 1}),
        ("/{adopted}/adopt", {"level": "galactic", "adopted_by": "x"}),
        ("/{adopted}/adopt", {"level": "county", "adopted_by": "单" * 201}),
        ("/{adopted}/adopt", {"level": "county", "adopted_by": None}),
        ("/{adopted}/forwards", {"recipients": []}),
        ("/{adopted}/forwards", {"recipients": [{"kind": "department", "name": "部门"}] * 31}),
        (
            "/{adopted}/instructions",
            {"level": "county", "leader": "某", "text": "批示", "instructed_on": "2026-02-30"},
        ),
        ("/{adopted}/feedback", {"source": "某局", "text": "反" * 5001, "received_on": "2026-03-01"}),
        ("/{adopted}/edits", {"title": None}),
    ],
)
async def test_worst_values_in_bodies_are_422(
    client: httpx.AsyncClient, caller: dict[str, str], reports: dict[str, str], route: str, body: Any
) -> None:
    r = await client.post(PREFIX + route.format(**reports), json=body, headers=caller)
    assert r.status_code == 422 and _refused(r), r.text[:300]


@HYPOTHESIS
@given(day=BAD_DATES)
async def test_out_of_range_dates_are_422(
    client: httpx.AsyncClient, caller: dict[str, str], reports: dict[str, str], day: str
) -> None:
    body = {"level": "county", "leader": "某", "text": "批示", "instructed_on": day}
    r = await client.post(f"{PREFIX}/{reports['adopted']}/instructions", json=body, headers=caller)
    assert r.status_code == 422 and _refused(r), r.text


def _cursor(at: str, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(at=BAD_DATETIMES, id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]))
async def test_forged_cursors_are_422(
    client: httpx.AsyncClient, caller: dict[str, str], at: str, id: Any
) -> None:
    r = await client.get(PREFIX, params={"cursor": _cursor(at, id)}, headers=caller)
    assert r.status_code == 422 and _refused(r), r.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "电\x00梯"},
        {"q": "问" * 101},
        {"year": "99999999999999999999"},
        {"year": "1"},
        {"limit": "0"},
        {"limit": "100000"},
        {"adoption_level": "galactic"},
        {"mine": "perhaps"},
    ],
)
async def test_worst_query_parameters_are_422(
    client: httpx.AsyncClient, caller: dict[str, str], params: dict[str, str]
) -> None:
    r = await client.get(PREFIX, params=params, headers=caller)
    assert r.status_code == 422 and _refused(r), r.text


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Match": "garbage"},
        {"If-Match": '"99999999999999999999999"'},
        {"If-Match": '"1"\x01'},
    ],
)
async def test_bad_if_match_headers_are_4xx(
    client: httpx.AsyncClient, caller: dict[str, str], reports: dict[str, str], headers: dict[str, str]
) -> None:
    try:
        r = await client.patch(
            f"{PREFIX}/{reports['draft']}", json={"title": "新"}, headers={**caller, **headers}
        )
    except (httpx.LocalProtocolError, ValueError):
        return  # the client itself refuses to send it
    assert _refused(r), r.text


@pytest.mark.parametrize(
    "upload",
    [
        {"Content-Type": "application/pdf", "X-Filename": "%00.pdf"},
        {"Content-Type": "application/pdf", "X-Filename": "a" * 1300},
        {"Content-Type": "application/x-msdownload", "X-Filename": "a.exe"},
        {"Content-Type": "application/pdf"},
    ],
)
async def test_bad_upload_headers_are_4xx(
    client: httpx.AsyncClient, caller: dict[str, str], reports: dict[str, str], upload: dict[str, str]
) -> None:
    r = await client.post(
        f"{PREFIX}/{reports['draft']}/attachments", content=b"%PDF-1.7\n%%EOF\n", headers={**caller, **upload}
    )
    assert _refused(r), r.text


async def test_a_path_in_the_file_name_is_reduced_to_its_last_part(
    client: httpx.AsyncClient, caller: dict[str, str], reports: dict[str, str]
) -> None:
    upload = {"Content-Type": "application/pdf", "X-Filename": "../../etc/passwd"}
    r = await client.post(
        f"{PREFIX}/{reports['draft']}/attachments", content=b"%PDF-1.7\n%%EOF\n", headers={**caller, **upload}
    )
    assert r.status_code == 201 and r.json()["file_name"] == "passwd", r.text


async def test_malformed_ids_are_422(client: httpx.AsyncClient, caller: dict[str, str]) -> None:
    for path in (
        f"{PREFIX}/not-a-uuid",
        f"{PREFIX}/{uuid.uuid4()}/attachments/../x",
        f"{PREFIX}/from-proposal/1",
    ):
        r = (
            await client.post(path, headers=caller)
            if "from-proposal" in path
            else await client.get(path, headers=caller)
        )
        assert 400 <= r.status_code < 500, (path, r.status_code)


POLICY = {"opinion_max_chars": 1500, "opinion_title_max_chars": 50}


@pytest.mark.parametrize(
    "body",
    [
        {**POLICY, "opinion_max_chars": -1},
        {**POLICY, "opinion_max_chars": 99},
        {**POLICY, "opinion_max_chars": 20001},
        {**POLICY, "opinion_max_chars": 10**30},
        {**POLICY, "opinion_max_chars": None},
        {**POLICY, "opinion_max_chars": 1500.5},
        {**POLICY, "opinion_title_max_chars": 0},
        {**POLICY, "opinion_title_max_chars": 201},
        {"opinion_max_chars": 1500},
        {**POLICY, "unknown": 1},
        [POLICY],
    ],
)
async def test_out_of_range_policy_values_are_422_and_change_nothing(
    client: httpx.AsyncClient, issuer: TestIssuer, body: Any
) -> None:
    """An administrator's PUT of the report values: every number out of its range, null, a value
    left out, an unknown one — 422, and the organization's values stay as they were."""
    admin = issuer.headers(sub=uuid.uuid4(), org=ORG, roles=["admin"])
    r = await client.put(f"{PREFIX}/policy", json=body, headers=admin)
    assert r.status_code == 422 and _refused(r), r.text[:300]
    after = await client.get(f"{PREFIX}/policy", headers=admin)
    assert after.status_code == 200 and after.json() == POLICY

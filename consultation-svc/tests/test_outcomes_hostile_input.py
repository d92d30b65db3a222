"""No input a client can send to consultation-svc is a 5xx: control characters in any text of any
request body, out-of-range dates, huge values, nulls in a PATCH, malformed cursors and headers —
on fresh ids and on a real outcome (every request body of the service's OpenAPI is walked)."""

import base64
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from consultation_svc.main import create_app
from consultation_svc.settings import Settings
from cppcc_common.db import create_engine
from cppcc_common.testing.app import serve_app
from cppcc_common.testing.hostile import (
    BAD_DATES,
    BAD_DATETIMES,
    Operation,
    json_operations,
    leaves,
    replace,
    text_with_a_control_character,
)
from cppcc_common.testing.tokens import TestIssuer

from .outcomes_support import MIGRATIONS, PDF, draft, insert_activity, insert_unit, sent

ORG = uuid.uuid4()
UNIT = uuid.uuid4()
HYPOTHESIS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
# json.dumps escapes lone surrogates (\ud800), as a client would have to.
JSON = {"Content-Type": "application/json", "If-Match": '"1"'}


@pytest.fixture(scope="module")
def service_settings(databases: Any, module_nats_url: str) -> Settings:
    return Settings(
        database_url=databases.migrated(MIGRATIONS, "consultation"),
        nats_url=module_nats_url,
        # Every route is configured: the walk reaches the check-in routes too (503 is not an answer here).
        checkin_key=SecretStr(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")),
    )


@pytest.fixture(scope="module")
async def client(service_settings: Settings, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(create_app(service_settings, key_source=issuer.key_source())) as c:
        yield c


@pytest.fixture(scope="module")
async def db(service_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(service_settings.database_url, pool_size=2)
    await insert_unit(engine, UNIT, ORG, "市发展改革委")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def everyone(issuer: TestIssuer) -> dict[str, str]:
    """A caller every route admits: the office, a leader, a member and a user of UNIT at once."""
    return issuer.headers(
        org=ORG, roles=["staff", "leader", "member", "unit_user"], scopes=["consultation"], unit=UNIT
    )


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/openapi.json")).json())


@pytest.fixture(scope="module")
async def outcome(client: httpx.AsyncClient, db: AsyncEngine, everyone: dict[str, str]) -> dict[str, Any]:
    """A sent outcome UNIT is responsible for."""
    activity = await insert_activity(db, ORG, datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    return await sent(client, everyone, activity, UNIT)


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


def _on_the_outcome(op_path: str, outcome: dict[str, Any]) -> str:
    """The operation's path with its outcome id replaced by a real one (other ids stay fresh)."""
    parts = op_path.split("/")
    if len(parts) > 5 and parts[4] == "outcomes":
        parts[5] = outcome["id"]
    return "/".join(parts)


def _mine(document: dict[str, Any]) -> list[Operation]:
    """The outcomes' operations: every other context's routes are walked by their own test file."""
    return [op for op in json_operations(document) if op.path.startswith("/api/v1/consultations/outcome")]


@HYPOTHESIS
@given(data=st.data())
async def test_nul_and_control_characters_in_any_text_field_are_4xx(
    client: httpx.AsyncClient,
    everyone: dict[str, str],
    document: dict[str, Any],
    outcome: dict[str, Any],
    data: st.DataObject,
) -> None:
    ops = [(op, path) for op in _mine(document) for path, kind in leaves(op, document) if kind == "text"]
    assert ops, "no request body has a text field"
    op, path = data.draw(st.sampled_from(ops))
    body = replace(op.body, path, data.draw(text_with_a_control_character()))
    url = data.draw(st.sampled_from([op.path, _on_the_outcome(op.path, outcome)]))
    r = await client.request(op.method, url, content=json.dumps(body), headers={**everyone, **JSON})
    assert _refused(r), f"{op.method} {url} {path}: {r.status_code} {r.text[:200]}"


@HYPOTHESIS
@given(data=st.data())
async def test_out_of_range_dates_in_any_body_are_4xx(
    client: httpx.AsyncClient,
    everyone: dict[str, str],
    document: dict[str, Any],
    outcome: dict[str, Any],
    data: st.DataObject,
) -> None:
    ops = [
        (op, path, kind)
        for op in _mine(document)
        for path, kind in leaves(op, document)
        if kind in ("date", "date-time")
    ]
    assert ops, "no request body has a date"
    op, path, kind = data.draw(st.sampled_from(ops))
    body = replace(op.body, path, data.draw(BAD_DATES if kind == "date" else BAD_DATETIMES))
    url = _on_the_outcome(op.path, outcome)
    r = await client.request(op.method, url, content=json.dumps(body), headers={**everyone, **JSON})
    assert _refused(r), f"{op.method} {url} {path}: {r.status_code} {r.text[:200]}"


@HYPOTHESIS
@given(data=st.data())
async def test_huge_values_null_and_wrong_types_in_any_body_are_4xx(
    client: httpx.AsyncClient,
    everyone: dict[str, str],
    document: dict[str, Any],
    outcome: dict[str, Any],
    data: st.DataObject,
) -> None:
    ops = [(op, path) for op in _mine(document) for path, _ in leaves(op, document)]
    op, path = data.draw(st.sampled_from(ops))
    value = data.draw(
        st.sampled_from(["x" * 300_000, 2**70, -(2**70), 1e308, [], {"a": 1}, True, "\u202e" * 5000])
    )
    body = replace(op.body, path, value)
    url = _on_the_outcome(op.path, outcome)
    r = await client.request(op.method, url, content=json.dumps(body), headers={**everyone, **JSON})
    assert r.status_code < 500, f"{op.method} {url} {path}: {r.status_code} {r.text[:200]}"


async def test_blank_texts_on_a_real_outcome_are_422(
    client: httpx.AsyncClient, everyone: dict[str, str], outcome: dict[str, Any]
) -> None:
    url = f"/api/v1/consultations/outcomes/{outcome['id']}"
    for tail, body in (
        (
            "/instructions",
            {"level": "municipal", "leader": "   ", "text": "x", "instructed_on": "2026-12-01"},
        ),
        ("/feedback-due-date", {"feedback_due_on": "2027-06-30", "reason": " \n\t "}),
        ("/follow-ups", {"note": ""}),
        ("/feedback", {"text": "ok", "received_on": None}),
        ("/feedback", {"text": "ok"}),
    ):
        r = await client.request("PUT" if "due" in tail else "POST", url + tail, json=body, headers=everyone)
        assert r.status_code == 422 and _refused(r), f"{tail}: {r.status_code} {r.text[:200]}"


async def test_null_for_a_field_in_a_patch_is_422(
    client: httpx.AsyncClient, db: AsyncEngine, everyone: dict[str, str], document: dict[str, Any]
) -> None:
    activity = await insert_activity(db, ORG, datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    drafted = await draft(client, everyone, activity, UNIT)
    schema = document["paths"]["/api/v1/consultations/outcomes/{outcome_id}"]["patch"]["requestBody"][
        "content"
    ]
    fields = document["components"]["schemas"][schema["application/json"]["schema"]["$ref"].split("/")[-1]]
    for name in fields["properties"]:
        r = await client.patch(
            f"/api/v1/consultations/outcomes/{drafted['id']}", json={name: None}, headers={**everyone, **JSON}
        )
        assert r.status_code == 422 and _refused(r), f"{name}: {r.status_code} {r.text[:200]}"


def _cursor(at: str, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(at=BAD_DATETIMES, id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]))
async def test_out_of_range_naive_or_malformed_cursors_are_422(
    client: httpx.AsyncClient, everyone: dict[str, str], at: str, id: Any
) -> None:
    r = await client.get(
        "/api/v1/consultations/outcomes", params={"cursor": _cursor(at, id)}, headers=everyone
    )
    assert r.status_code == 422 and _refused(r), r.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/consultations/outcome-tracking/0", {}),
        ("/api/v1/consultations/outcome-tracking/99999999999999999999999", {}),
        ("/api/v1/consultations/outcome-tracking/-1/workbook", {}),
        ("/api/v1/consultations/outcomes", {"year": "1e9"}),
        ("/api/v1/consultations/outcomes", {"status": "\x00"}),
        ("/api/v1/consultations/outcomes", {"activity_id": "not-a-uuid"}),
        ("/api/v1/consultations/outcomes", {"limit": "100000"}),
        ("/api/v1/consultations/outcomes/not-a-uuid", {}),
    ],
)
async def test_bad_paths_and_query_values_are_4xx(
    client: httpx.AsyncClient, everyone: dict[str, str], path: str, params: dict[str, str]
) -> None:
    r = await client.get(path, params=params, headers=everyone)
    assert _refused(r), f"{path} {params}: {r.status_code} {r.text[:200]}"


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Match": "not-an-etag"},
        {"If-Match": '"1", W/'},
        {"X-Filename": "%00evil.pdf"},
        {"X-Filename": "a%0Ab.pdf"},
        {"X-Filename": "%E2%80%AEfdp.exe"},  # a right-to-left override disguising the name
        {"X-Filename": "x" * 1300},
        {"X-Filename": "../../"},
        {"Content-Type": "text/html"},
    ],
)
async def test_bad_headers_on_an_upload_are_4xx(
    client: httpx.AsyncClient, db: AsyncEngine, everyone: dict[str, str], headers: dict[str, str]
) -> None:
    activity = await insert_activity(db, ORG, datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    drafted = await draft(client, everyone, activity, UNIT)
    upload = {**everyone, "Content-Type": "application/pdf", "X-Filename": "a.pdf", **headers}
    try:
        r = await client.post(
            f"/api/v1/consultations/outcomes/{drafted['id']}/attachments", content=PDF, headers=upload
        )
    except (httpx.LocalProtocolError, UnicodeEncodeError):
        return  # the client itself refuses to send such a header
    assert _refused(r), f"{headers}: {r.status_code} {r.text[:200]}"


async def test_a_media_types_parameters_are_dropped_and_never_stored(
    client: httpx.AsyncClient, db: AsyncEngine, everyone: dict[str, str]
) -> None:
    activity = await insert_activity(db, ORG, datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    drafted = await draft(client, everyone, activity, UNIT)
    upload = {**everyone, "Content-Type": "application/PDF; charset=\x7f", "X-Filename": "a.pdf"}
    r = await client.post(
        f"/api/v1/consultations/outcomes/{drafted['id']}/attachments", content=PDF, headers=upload
    )
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf", r.text


async def test_a_body_that_is_not_json_is_422(client: httpx.AsyncClient, everyone: dict[str, str]) -> None:
    for content in (b"{", b"\xff\xfe", b"null", b"[]", b'"x"'):
        r = await client.post(
            "/api/v1/consultations/outcomes",
            content=content,
            headers={**everyone, "Content-Type": "application/json"},
        )
        assert r.status_code == 422 and _refused(r), f"{content!r}: {r.status_code}"

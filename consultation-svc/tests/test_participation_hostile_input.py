"""No input a client can send consultation-svc is a 5xx: control characters in any text of any
request body, out-of-range or naive times anywhere a time is sent, forged cursors, hostile
headers and path values (issue 6's walk, over every operation of the OpenAPI document)."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppcc_common.testing.hostile import (
    BAD_DATETIMES,
    Operation,
    json_operations,
    leaves,
    replace,
    text_with_a_control_character,
)

from .participation_support import World, world

ORG = uuid.uuid4()
HYPOTHESIS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
JSON = {"Content-Type": "application/json", "If-Match": '"1"'}


@pytest.fixture(scope="module")
async def w(databases: Any, module_nats_url: str) -> AsyncIterator[World]:
    async with world(databases, module_nats_url) as made:
        yield made


@pytest.fixture(scope="module")
def everyone(w: World) -> dict[str, str]:
    """A caller every route admits (member, staff of the office, leader)."""
    return w.headers(org=ORG, roles=["member", "staff", "leader"], scopes=["consultation"])


@pytest.fixture(scope="module")
async def document(w: World) -> dict[str, Any]:
    return (await w.client.get("/openapi.json")).json()


def _refused(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


# Participation's routes: every other context's are walked by their own test file.
_PARTS = ("/checkin", "/speeches", "/written-consultation", "/deliberation", "/me/", "/calendar-feeds")


def _mine(document: dict[str, Any]) -> list[Operation]:
    return [op for op in json_operations(document) if any(part in op.path for part in _PARTS)]


@HYPOTHESIS
@given(data=st.data())
async def test_nul_and_control_characters_in_any_text_field_are_4xx(
    w: World, everyone: dict[str, str], document: dict[str, Any], data: st.DataObject
) -> None:
    ops = [(op, path) for op in _mine(document) for path, kind in leaves(op, document) if kind == "text"]
    assert ops, "no request body has a text field"
    op, path = data.draw(st.sampled_from(ops))
    body = replace(op.body, path, data.draw(text_with_a_control_character()))
    r = await w.client.request(op.method, op.path, content=json.dumps(body), headers={**everyone, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


@HYPOTHESIS
@given(data=st.data())
async def test_out_of_range_or_naive_times_in_any_body_are_4xx(
    w: World, everyone: dict[str, str], document: dict[str, Any], data: st.DataObject
) -> None:
    ops = [(op, path) for op in _mine(document) for path, kind in leaves(op, document) if kind == "date-time"]
    assert ops, "no request body has a time"
    op, path = data.draw(st.sampled_from(ops))
    body = replace(op.body, path, data.draw(BAD_DATETIMES))
    r = await w.client.request(op.method, op.path, content=json.dumps(body), headers={**everyone, **JSON})
    assert _refused(r), f"{op.method} {op.path} {path}: {r.status_code} {r.text[:200]}"


def _cursor(at: Any, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(at=BAD_DATETIMES, id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]))
async def test_forged_cursors_are_422_on_every_page(
    w: World, everyone: dict[str, str], at: str, id: Any
) -> None:
    activity = await w.activity(ORG, form="online")
    for path in (
        "/api/v1/consultations/me/activities",
        f"/api/v1/consultations/activities/{activity}/speeches",
    ):
        r = await w.client.get(path, params={"cursor": _cursor(at, id)}, headers=everyone)
        assert r.status_code == 422 and _refused(r), f"{path}: {r.text}"


@pytest.mark.parametrize(
    "token",
    ["", "v1.", "v1.\u0000", "v1." + "A" * 190, "x" * 201, "v1.%%%", "\ud800", "null"],
)
async def test_hostile_check_in_codes_are_4xx(w: World, token: str) -> None:
    member = uuid.uuid4()
    activity = await w.activity(ORG, invitees=[member])
    body = json.dumps({"token": token})
    r = await w.client.post(
        f"/api/v1/consultations/activities/{activity}/checkin",
        content=body,
        headers={**w.headers(member, ORG), "Content-Type": "application/json"},
    )
    assert _refused(r), r.text


@pytest.mark.parametrize(
    "name",
    ["", "..", "a/..", "\u202eexe.pdf", "a\u0000.pdf", "%C3%28", "x" * 1300, "%00.pdf", "%E2%80%AEfdp.exe"],
)
async def test_hostile_file_names_are_4xx(w: World, name: str) -> None:
    member = uuid.uuid4()
    activity = await w.activity(ORG, invitees=[member])
    me = w.headers(member, ORG)
    base = f"/api/v1/consultations/activities/{activity}/speeches"
    speech = (await w.client.post(base, json={"mode": "written", "title": "发言"}, headers=me)).json()["id"]
    r = await w.client.post(
        f"{base}/{speech}/attachments",
        content=b"%PDF-1.7\n%%EOF\n",
        headers={**me, "Content-Type": "application/pdf", "X-Filename": name.encode()},  # raw UTF-8 bytes
    )
    assert _refused(r), f"{name!r}: {r.status_code} {r.text[:200]}"


@pytest.mark.parametrize("secret", ["a" * 42, "a" * 44, "%00" * 15, "..%2F..", "A" * 43])
async def test_hostile_or_unknown_feed_secrets_are_4xx(w: World, secret: str) -> None:
    r = await w.client.get(f"/api/v1/consultations/calendar-feeds/{secret}.ics")
    assert _refused(r), r.text

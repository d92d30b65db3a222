"""The shared edge checks (cppcc_common.validation) and what still reaches the database (issue 6):
no text, date, number or null a client sends is a 5xx, on a real database."""

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import Depends, FastAPI, Header
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError
from sqlalchemy import text

from cppcc_common.auth import PUBLIC
from cppcc_common.db import SessionDep, create_engine, create_sessionmaker
from cppcc_common.error_handlers import install_error_handlers
from cppcc_common.pagination import CursorQuery, decode_cursor
from cppcc_common.testing.hostile import BAD_DATES, BAD_DATETIMES, text_with_a_control_character
from cppcc_common.validation import BUSINESS_DATES, BoundedDatetime, HeaderText, PatchModel, RequestModel

HYPOTHESIS = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))


class Address(RequestModel):
    line: str = Field(max_length=50)


class Thing(RequestModel):
    name: str = Field(max_length=50)
    notes: list[str] = []
    address: Address | None = None
    extra: dict[str, Any] = {}
    on: date | None = None
    at: BoundedDatetime | None = None
    count: int = 0


class ThingUpdate(PatchModel):
    name: str = Field(max_length=50)
    note: str | None = Field(max_length=50)


@pytest.fixture(scope="module")
async def client(databases: Any) -> Any:
    """A tiny service on a real database whose table takes what the request sends, unchecked."""
    engine = create_engine(databases.empty("edge"), pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE things (name text NOT NULL, note text, n integer, on_day date)")
        )
    app = FastAPI(dependencies=[Depends(PUBLIC)])
    install_error_handlers(app)
    app.state.runtime = type("Runtime", (), {"sessionmaker": create_sessionmaker(engine)})()

    @app.post("/things", status_code=201)
    async def create(body: Thing, session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO things (name) VALUES (:n)"), {"n": body.name})
        return {"name": body.name}

    @app.patch("/things")
    async def update(body: ThingUpdate, session: SessionDep) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        await session.execute(text("INSERT INTO things (name, note) VALUES ('x', 'y')"))
        if changes:
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            await session.execute(text(f"UPDATE things SET {sets}"), changes)
        return changes

    @app.post("/raw")
    async def raw(name: str, n: int, session: SessionDep) -> None:
        """No edge check at all: what the database refuses must still be a 422."""
        await session.execute(text("INSERT INTO things (name, n) VALUES (:name, :n)"), {"name": name, "n": n})

    @app.get("/filename")
    async def filename(name: Annotated[HeaderText, Header(alias="X-Filename", max_length=50)]) -> str:
        return name

    @app.get("/page")
    async def page(cursor: CursorQuery = None) -> dict[str, str]:
        at, id = decode_cursor(cursor) if cursor else (datetime.now(UTC), None)
        return {"at": at.isoformat(), "id": str(id)}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c
    await engine.dispose()


def _problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code


def _post(client: httpx.AsyncClient, path: str, body: Any) -> Any:
    # json.dumps escapes lone surrogates (\ud800), as a client would have to.
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


@HYPOTHESIS
@given(bad=text_with_a_control_character(), where=st.sampled_from(["name", "note", "line", "extra", "key"]))
async def test_nul_and_control_characters_in_any_text_are_422(
    client: httpx.AsyncClient, bad: str, where: str
) -> None:
    body: dict[str, Any] = {"name": "ok"}
    if where == "name":
        body["name"] = bad
    elif where == "note":
        body["notes"] = ["fine", bad]
    elif where == "line":
        body["address"] = {"line": bad}
    elif where == "extra":
        body["extra"] = {"deep": [{"deeper": bad}]}
    else:
        body["extra"] = {bad: 1}
    r = await _post(client, "/things", body)
    _problem(r, 422, "validation_failed")
    assert {e["code"] for e in r.json()["errors"]} == {"control_character"}


async def test_newline_and_tab_are_text_and_crlf_becomes_lf(client: httpx.AsyncClient) -> None:
    r = await _post(client, "/things", {"name": "第一行\r\n\t第二行"})
    assert r.status_code == 201 and r.json()["name"] == "第一行\n\t第二行"


@HYPOTHESIS
@given(bad=text_with_a_control_character(surrogates=False))
async def test_text_the_database_refuses_is_422_invalid_data(client: httpx.AsyncClient, bad: str) -> None:
    r = await client.post("/raw", params={"name": "a\x00" + bad, "n": 1})
    _problem(r, 422, "invalid_data")
    assert "0x00" not in r.text and "things" not in r.text


@HYPOTHESIS
@given(n=st.one_of(st.integers(max_value=-(2**31) - 1), st.integers(min_value=2**31)))
async def test_numbers_the_database_refuses_are_422(client: httpx.AsyncClient, n: int) -> None:
    _problem(await client.post("/raw", params={"name": "ok", "n": n}), 422, "invalid_data")
    if abs(n) >= 2**63:
        _problem(await _post(client, "/things", {"name": "ok", "extra": {"n": n}}), 422, "validation_failed")


@HYPOTHESIS
@given(
    on=st.one_of(
        st.dates(max_value=BUSINESS_DATES[0] - timedelta(days=1)),
        st.dates(BUSINESS_DATES[1] + timedelta(days=1)),
    )
)
async def test_out_of_range_dates_are_422_however_declared(client: httpx.AsyncClient, on: date) -> None:
    r = await _post(client, "/things", {"name": "ok", "on": on.isoformat()})
    _problem(r, 422, "validation_failed")
    assert r.json()["errors"][0]["code"] == "date_out_of_range"


@HYPOTHESIS
@given(at=BAD_DATETIMES)
async def test_out_of_range_and_naive_times_are_422(client: httpx.AsyncClient, at: str) -> None:
    r = await _post(client, "/things", {"name": "ok", "at": at})
    _problem(r, 422, "validation_failed")
    assert r.json()["errors"][0]["code"] in {"date_out_of_range", "timezone_aware"}


def _cursor(at: Any, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(
    at=st.one_of(BAD_DATETIMES, BAD_DATES, st.integers(), st.none()),
    id=st.one_of(
        st.just("0190d3a4-7b1c-7000-8000-000000000001"), st.integers(), st.none(), st.lists(st.text())
    ),
)
async def test_out_of_range_naive_or_malformed_cursors_are_422(
    client: httpx.AsyncClient, at: Any, id: Any
) -> None:
    _problem(await client.get("/page", params={"cursor": _cursor(at, id)}), 422, "validation_failed")


async def test_a_cursor_in_range_with_an_offset_is_read() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8)))
    assert decode_cursor(_cursor(at.isoformat(), "0190d3a4-7b1c-7000-8000-000000000001"))[0] == at


async def test_null_for_a_required_field_in_a_patch_is_422(client: httpx.AsyncClient) -> None:
    r = await client.patch("/things", json={"name": None})
    _problem(r, 422, "validation_failed")
    assert r.json()["errors"] == [
        {"field": "name", "code": "null_not_allowed", "message": "此项可以省略，但不能为 null"}
    ]
    assert (await client.patch("/things", json={"note": None})).json() == {"note": None}
    assert (await client.patch("/things", json={})).json() == {}


def test_patch_fields_are_optional_and_the_document_says_which_are_nullable() -> None:
    schema = ThingUpdate.model_json_schema()
    assert "required" not in schema
    assert schema["properties"]["name"] == {"maxLength": 50, "title": "Name", "type": "string"}
    assert {"type": "null"} in schema["properties"]["note"]["anyOf"]
    with pytest.raises(ValidationError):
        ThingUpdate.model_validate({"unknown": 1})


async def test_a_header_is_read_as_utf8_and_refuses_control_characters(client: httpx.AsyncClient) -> None:
    r = await client.get("/filename", headers={"X-Filename": "年度履职报告.pdf".encode()})
    assert r.json() == "年度履职报告.pdf"
    r = await client.get("/filename", headers={"X-Filename": quote("年度履职报告.pdf")})
    assert r.json() == "年度履职报告.pdf"  # percent-encoded UTF-8: what browsers can send
    _problem(await client.get("/filename", headers={"X-Filename": "a%00b.pdf"}), 422, "validation_failed")
    _problem(
        await client.get("/filename", headers={"X-Filename": b"report\x85.pdf"}), 422, "validation_failed"
    )

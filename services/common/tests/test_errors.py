"""problem+json rendering: codes, languages, validation errors, no internals leaked."""

import json
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.auth import PUBLIC
from cppcc_common.error_handlers import install_error_handlers
from cppcc_common.errors import NotFound, violation_errors
from cppcc_common.i18n import negotiate_language
from cppcc_common.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from cppcc_common.text import Text


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=5)
    count: int


def _app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(PUBLIC)])
    install_error_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> dict[str, Any]:
        return body.model_dump()

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT secret FROM internal_table")

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=1000)
    app.add_middleware(RequestContextMiddleware)
    return app


_APP = _app()


@pytest.fixture
async def client() -> Any:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_errors_are_problem_json_in_chinese_by_default(client: httpx.AsyncClient) -> None:
    r = await client.get("/missing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "not_found" and body["status"] == 404 and body["instance"] == "/missing"
    assert body["title"] == "资源不存在"
    assert r.headers["x-request-id"]


async def test_english_on_request(client: httpx.AsyncClient) -> None:
    r = await client.get("/missing", headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    assert r.json()["title"] == "Not found"


async def test_validation_errors_are_listed_by_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", json={"title": "far too long", "extra": 1})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_failed"
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"title", "count", "extra"}
    assert fields["title"]["message"] == "内容过长（最多 5 个字符）"
    assert fields["extra"]["code"] == "extra_forbidden"


async def test_bad_json_and_wrong_types_are_422_not_500(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = await client.post("/things", json=[1, 2])
    assert r.status_code == 422


@given(raw=st.binary(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
async def test_any_body_that_is_not_json_is_422_json_invalid(raw: bytes) -> None:
    """Bytes that are not UTF-8 used to be 400 (FastAPI's parse error), which no document names."""
    transport = httpx.ASGITransport(app=_APP, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post("/things", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    if not _is_json(raw):
        assert r.json()["errors"][0]["code"] == "json_invalid"


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


async def test_unexpected_errors_leak_nothing(client: httpx.AsyncClient) -> None:
    r = await client.get("/boom")
    assert r.status_code == 500
    assert "secret" not in r.text and "internal_table" not in r.text and "Traceback" not in r.text
    assert r.json()["code"] == "internal_error"


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    assert (await client.get("/nowhere")).json()["code"] == "not_found"
    r = await client.delete("/missing")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


async def test_oversized_bodies_are_refused_with_413(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", content=b"x" * 5000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


async def test_request_id_is_kept_when_sane_and_replaced_when_not(client: httpx.AsyncClient) -> None:
    assert (await client.get("/missing", headers={"X-Request-ID": "abc-123"})).headers[
        "x-request-id"
    ] == "abc-123"
    assert (await client.get("/missing", headers={"X-Request-ID": "bad id\n"})).headers[
        "x-request-id"
    ] != "bad id"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh"),
        ("en", "en"),
        ("zh-CN", "zh"),
        ("en;q=0.2, zh;q=0.9", "zh"),
        ("fr", "zh"),
        ("en;q=bad", "en"),
    ],
)
def test_language_negotiation(header: str | None, lang: str) -> None:
    assert negotiate_language(header) == lang


def test_upload_paths_may_have_a_larger_body_limit() -> None:
    from cppcc_common.middleware import BodySizeLimitMiddleware

    limits = BodySizeLimitMiddleware(
        _app(), max_bytes=1000, uploads={"/imports": 10_000, "/imports/big": 50_000}
    )
    assert limits.limit_for("/things") == 1000
    assert limits.limit_for("/imports/1") == 10_000
    assert limits.limit_for("/imports/big/1") == 50_000  # the most specific prefix wins


def test_upload_limits_name_route_paths_with_parameters() -> None:
    """`{name}` stands for one path segment, so an upload below a resource id has its own limit."""
    from cppcc_common.middleware import BodySizeLimitMiddleware

    limits = BodySizeLimitMiddleware(
        _app(), max_bytes=1000, uploads={"/api/v1/proposals/{proposal_id}/attachments": 20_000}
    )
    assert limits.limit_for("/api/v1/proposals/0195f0a2/attachments") == 20_000
    assert limits.limit_for("/api/v1/proposals/0195f0a2/attachments/7") == 20_000
    assert limits.limit_for("/api/v1/proposals/0195f0a2") == 1000
    assert limits.limit_for("/api/v1/proposals/a/b/attachments") == 1000  # one segment, not two
    assert limits.limit_for("/api/v1/proposals//attachments") == 1000
    assert limits.limit_for("/api/v1/proposals/{proposal_id}/attachments") == 20_000


async def test_data_the_database_refuses_is_422_not_500() -> None:
    from sqlalchemy.exc import DataError

    app = FastAPI(dependencies=[Depends(PUBLIC)])
    install_error_handlers(app)

    @app.post("/nul")
    async def nul() -> None:
        raise DataError("INSERT …", {}, Exception('invalid byte sequence for encoding "UTF8": 0x00'))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/nul")
    assert r.status_code == 422 and r.json()["code"] == "invalid_data" and "0x00" not in r.text


@given(size=st.integers(1001, 5000), pieces=st.integers(1, 4), declared=st.booleans())
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
async def test_a_body_over_the_limit_is_413_whether_or_not_its_length_was_declared(
    size: int, pieces: int, declared: bool
) -> None:
    """A chunked body (no Content-Length) over the limit used to reach FastAPI's body parser as a
    broken body and come back 422 `json_invalid`; it is 413 like a declared one."""
    raw = json.dumps({"title": "x" * size, "count": 1}).encode()
    step = -(-len(raw) // pieces)

    async def chunks() -> Any:
        for i in range(0, len(raw), step):
            yield raw[i : i + step]

    transport = httpx.ASGITransport(app=_APP, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        content = raw if declared else chunks()
        r = await client.post("/things", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "payload_too_large"


def test_a_violation_names_its_field_and_code_with_its_message_in_both_languages() -> None:
    messages = {
        "too_long": Text("标题不能超过 {max} 字", "At most {max} characters"),
        "braces": Text("须为 {a} 形式", "Must look like {a}"),
    }
    assert violation_errors([("title", "too_long")], messages, max=50) == [
        {
            "field": "title",
            "code": "too_long",
            "message": "标题不能超过 50 字",
            "message_en": "At most 50 characters",
        }
    ]
    # Without parameters a message is as written (a brace in it is text, not a placeholder).
    assert violation_errors([("x", "braces")], messages)[0]["message_en"] == "Must look like {a}"

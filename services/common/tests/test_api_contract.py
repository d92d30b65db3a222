"""The HTTP contract every service inherits from create_service_app's pieces: conditional writes
(If-Match), undeclared query parameters, Vary on translated answers, the OpenAPI document, and
the offline docs page."""

import re
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Query, Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.auth import PUBLIC, Permission
from cppcc_common.docs import CSP, docs_router
from cppcc_common.error_handlers import install_error_handlers
from cppcc_common.errors import Conflict
from cppcc_common.i18n import VaryOnLanguageMiddleware
from cppcc_common.openapi import install_openapi, problems
from cppcc_common.query import reject_unknown_query_parameters
from cppcc_common.testing.contract import document_broken_promises
from cppcc_common.versioning import (
    ExpectedVersion,
    IfMatch,
    MalformedIfMatch,
    OptionalExpectedVersion,
    check_version,
    parse_if_match,
)

CURRENT_VERSION = 3
STAFF = Permission("things.manage", roles={"staff"})


class ThingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=20)


def _filters(tag: Annotated[str | None, Query(max_length=10)] = None) -> str | None:
    return tag


def _app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, dependencies=[Depends(reject_unknown_query_parameters)])
    install_error_handlers(app)
    install_openapi(app, tags={"things": "Things to test with"}, idempotency=True)

    @app.patch("/things/{thing_id}", tags=["things"], dependencies=[Depends(PUBLIC)])
    async def update(
        thing_id: int, body: ThingUpdate, expected: ExpectedVersion, response: Response
    ) -> dict[str, Any]:
        check_version(CURRENT_VERSION, expected)
        response.headers["ETag"] = f'"{CURRENT_VERSION + 1}"'
        return {"name": body.name}

    @app.post("/things/{thing_id}/archive", tags=["things"], dependencies=[Depends(PUBLIC)])
    async def archive(thing_id: int, expected: OptionalExpectedVersion) -> dict[str, str]:
        check_version(CURRENT_VERSION, expected)
        return {"status": "archived"}

    @app.get("/things", tags=["things"], dependencies=[Depends(PUBLIC)])
    async def things(limit: int = 20, tag: str | None = Depends(_filters)) -> dict[str, Any]:
        return {"items": [], "next_cursor": None, "tag": tag}

    @app.delete(
        "/things/{thing_id}", tags=["things"], dependencies=[Depends(STAFF)], responses=problems(Conflict)
    )
    async def remove(thing_id: int) -> None:
        return None

    app.include_router(docs_router(title="Things"))
    app.add_middleware(VaryOnLanguageMiddleware)
    return app


@pytest.fixture
async def client() -> Any:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def _patch(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await client.patch("/things/1", json={"name": "x"}, headers=headers)


# Conditional writes ---------------------------------------------------------------------------


async def test_updating_a_versioned_resource_without_if_match_is_428(client: httpx.AsyncClient) -> None:
    r = await _patch(client)
    assert r.status_code == 428 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "precondition_required"
    assert (await client.post("/things/1/archive")).status_code == 200  # actions: If-Match optional


async def test_if_match_comparison_is_strong(client: httpx.AsyncClient) -> None:
    assert (await _patch(client, **{"If-Match": f'"{CURRENT_VERSION}"'})).status_code == 200
    assert (await _patch(client, **{"If-Match": f'W/"{CURRENT_VERSION}"'})).status_code == 412
    assert (await _patch(client, **{"If-Match": '"2"'})).status_code == 412


async def test_if_match_star_matches_an_existing_resource(client: httpx.AsyncClient) -> None:
    assert (await _patch(client, **{"If-Match": "*"})).status_code == 200


async def test_if_match_lists_match_when_any_strong_tag_matches(client: httpx.AsyncClient) -> None:
    assert (await _patch(client, **{"If-Match": f'"1", W/"2" , "{CURRENT_VERSION}"'})).status_code == 200
    assert (await _patch(client, **{"If-Match": f'"1", W/"{CURRENT_VERSION}"'})).status_code == 412


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"1"', IfMatch(versions=frozenset({1}))),
        ('"1", "2"', IfMatch(versions=frozenset({1, 2}))),
        ('"1",,"2"', IfMatch(versions=frozenset({1, 2}))),
        ('W/"1"', IfMatch()),
        ('"abc"', IfMatch()),
        ('""', IfMatch()),
        ('"²"', IfMatch()),
        (" * ", IfMatch.ANY),
    ],
)
def test_if_match_is_parsed_per_rfc_9110(value: str, expected: IfMatch) -> None:
    assert parse_if_match(value) == expected


@pytest.mark.parametrize("value", ["1", '"1', '1"', "W/1", '"1" "2"', '*, "1"', ",", '"a"b"', 'w/"1"'])
def test_a_malformed_if_match_is_refused(value: str) -> None:
    with pytest.raises(MalformedIfMatch):
        parse_if_match(value)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(value=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60))
async def test_a_malformed_if_match_is_400_never_500(value: str) -> None:
    transport = httpx.ASGITransport(app=_APP, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.patch("/things/1", json={"name": "x"}, headers={"If-Match": value.encode("latin-1")})  # type: ignore[dict-item]
    try:
        matches = parse_if_match(value).matches(CURRENT_VERSION) if value.strip(" \t") else None
    except MalformedIfMatch:
        assert r.status_code == 400 and r.json()["code"] == "bad_if_match"
        return
    assert r.status_code == {None: 428, True: 200, False: 412}[matches]


_APP = _app()


# Undeclared query parameters ----------------------------------------------------------------


async def test_unknown_query_parameters_are_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/things", params={"q": "anything", "limit": 5})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("q", "unknown_query_parameter")]
    # Declared ones pass, those of the route's dependencies included.
    ok = await client.get("/things", params={"limit": 5, "tag": "a"})
    assert ok.status_code == 200 and ok.json()["tag"] == "a"
    # A caller the route refuses hears that first, as for any other invalid request.
    assert (await client.delete("/things/1", params={"q": "x"})).status_code == 401


# Vary ---------------------------------------------------------------------------------------


async def test_translated_answers_vary_on_accept_language(client: httpx.AsyncClient) -> None:
    problem = await client.get("/things", params={"q": "x"}, headers={"Accept-Language": "en"})
    assert problem.headers["content-language"] == "en"
    assert problem.headers.get_list("vary") == ["Accept-Language"]
    plain = await client.get("/things")
    assert "vary" not in plain.headers  # not translated: nothing to vary on


# The OpenAPI document -------------------------------------------------------------------------


def test_the_api_document_derives_errors_and_security_from_each_route() -> None:
    document = _app().openapi()
    assert document_broken_promises(document) == []
    paths = document["paths"]
    update = paths["/things/{thing_id}"]["patch"]
    assert update["security"] == []
    assert {"400", "404", "409", "412", "413", "422", "428"} <= set(update["responses"])
    assert update["requestBody"]["content"]["application/json"]["example"] == {"name": "示例文本"}
    if_match = next(p for p in update["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] is True
    archive = paths["/things/{thing_id}/archive"]["post"]
    assert "412" in archive["responses"] and "428" not in archive["responses"]
    remove = paths["/things/{thing_id}"]["delete"]
    assert remove["security"] == [{"bearer": []}]  # staff only: partner systems cannot
    assert {"401", "403", "404", "409"} <= set(remove["responses"])
    assert "`conflict`" in remove["responses"]["409"]["description"]  # declared by the route
    assert "`idempotency.in_progress`" in remove["responses"]["409"]["description"]  # derived
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["tags"] == [{"name": "things", "description": "Things to test with"}]


# The docs page ------------------------------------------------------------------------------


async def test_the_docs_page_works_offline_under_a_csp(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-eval" not in CSP
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text), "the page loads nothing from elsewhere"
    assert "<script>" not in page.text  # no inline script: the CSP would block it
    for asset in re.findall(r"(?:src|href)=\"(/docs/assets/[^\"]+)\"", page.text):
        r = await client.get(asset)
        assert r.status_code == 200 and r.content, asset
        assert b"cdn.jsdelivr" not in r.content and b"unpkg.com" not in r.content
    assert (await client.get("/docs/assets/../../etc/passwd")).status_code == 404

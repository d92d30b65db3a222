"""The docs page works offline: Swagger UI served from our own process, never from a CDN (a
government intranet has none). The assets come from the `fastapi-offline` wheel (Swagger UI 5,
which reads OpenAPI 3.1); the page loads only same-origin scripts, under a strict CSP."""

from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse

from cppcc_common.auth import PUBLIC
from cppcc_common.errors import NotFound

ASSETS = "/docs/assets"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_STATIC = files("fastapi_offline") / "static"
_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
# No inline script (the CSP forbids it): the page names its document in a data attribute.
_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""
_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png">
</head>
<body data-openapi="{openapi_url}">
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/init.js"></script>
</body>
</html>
"""


@cache
def _asset(name: str) -> bytes:
    return (_STATIC / name).read_bytes()


def docs_router(*, title: str, openapi_url: str = "/openapi.json", **route_options: Any) -> APIRouter:
    """`/docs` and its assets; `route_options` (e.g. dependencies) apply to every route."""
    router = APIRouter(include_in_schema=False, dependencies=[Depends(PUBLIC)], **route_options)
    page = _PAGE.format(title=title, assets=ASSETS, openapi_url=openapi_url)

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})

    @router.get(ASSETS + "/{name}")
    async def asset(name: str) -> Response:
        if name == "init.js":
            return Response(_INIT, media_type="text/javascript; charset=utf-8")
        if name not in _TYPES:
            raise NotFound()
        return Response(
            _asset(name), media_type=_TYPES[name], headers={"Cache-Control": "public, max-age=86400"}
        )

    return router

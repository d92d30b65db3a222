"""Bilingual messages: Chinese by default, English when the client asks with Accept-Language."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cppcc_common.text import Text, negotiate_language

__all__ = ["Text", "VaryOnLanguageMiddleware", "negotiate_language"]


class VaryOnLanguageMiddleware:
    """`Vary: Accept-Language` on every answer whose text was translated (it has Content-Language),
    so a cache never serves the Chinese answer to a client that asked for English."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_vary(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_vary)


def with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    names = {k.lower() for k, _ in headers}
    if b"content-language" not in names:
        return headers
    varies = [v for k, v in headers if k.lower() == b"vary"]
    if any(b"accept-language" in v.lower() or v.strip() == b"*" for v in varies):
        return headers
    kept = [(k, v) for k, v in headers if k.lower() != b"vary"]
    return [*kept, (b"vary", b", ".join([*varies, b"Accept-Language"]))]

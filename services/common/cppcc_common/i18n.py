"""Bilingual messages: Chinese by default, English when the client asks with Accept-Language."""

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Text:
    """A message in Chinese and English; `{name}` placeholders are filled by `render`."""

    zh: str
    en: str

    def render(self, lang: str, **params: object) -> str:
        template = self.en if lang == "en" else self.zh
        return template.format(**params) if params else template


def negotiate_language(accept_language: str | None) -> str:
    """'en' when English is preferred over Chinese, otherwise 'zh'."""
    if not accept_language:
        return "zh"
    best_lang, best_q = "zh", -1.0
    for part in accept_language.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        q = 1.0
        for p in pieces[1:]:
            p = p.strip()
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        lang = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang and q > best_q:
            best_lang, best_q = lang, q
    return best_lang


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

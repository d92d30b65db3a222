"""Bilingual messages: Chinese by default, English when the client asks with Accept-Language.

Pure (no web framework): domain modules and their errors use it.
"""

from dataclasses import dataclass


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

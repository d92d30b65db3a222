"""Templates as files, rendered with Jinja2: `templates/<channel>/<template>.<locale>.txt`, the first
line the title, the rest the body. Plain text (no autoescaping); a missing variable is an error."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from cppcc_common.clock import SHANGHAI
from notify_svc.audience import DEFAULT_LOCALE, Notice

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def _shanghai(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the reader in China sees it."""
    return moment.astimezone(SHANGHAI).strftime(pattern)


def _day(value: date | datetime) -> str:
    """A day; an instant's day in Asia/Shanghai."""
    return _shanghai(value, "%Y-%m-%d") if isinstance(value, datetime) else value.isoformat()


def _clip(text: str, length: int) -> str:
    """At most `length` characters: a longer text is cut and ends with an ellipsis (push, SMS)."""
    text = str(text)
    return text if len(text) <= length else text[: max(length - 1, 0)] + "…"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # plain text: an inbox item, an SMS, a push title; never HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["shanghai"] = _shanghai
    env.filters["day"] = _day
    env.filters["clip"] = _clip
    return env


def template_names(channel: str) -> list[str]:
    """Every template of a channel, by name (without locale)."""
    return sorted({p.name.split(".txt")[0].rsplit(".", 1)[0] for p in (TEMPLATES / channel).glob("*.txt")})


def _source(channel: str, template: str, locale: str) -> str:
    """The person's language when the template exists in it; Chinese otherwise."""
    for candidate in (locale, DEFAULT_LOCALE):
        name = f"{channel}/{template}.{candidate}.txt"
        if (TEMPLATES / name).is_file():
            return name
    raise LookupError(f"no {channel} template {template!r}")


def render(channel: str, template: str, params: dict[str, Any], locale: str = DEFAULT_LOCALE) -> Rendered:
    text = environment().get_template(_source(channel, template, locale)).render(**params).strip()
    title, _, body = text.partition("\n")
    return Rendered(title.strip(), body.strip())


def render_notice(channel: str, notice: Notice, locale: str = DEFAULT_LOCALE) -> Rendered:
    return render(channel, notice.template, dict(notice.params), locale)

"""Hostile input for every JSON request body of a service's OpenAPI document.

`json_operations` lists the operations that take a JSON body, each with a body the schema accepts
(`example_of`); `leaves` finds the strings, dates and times in it; `replace` swaps one for a
hostile value drawn by the strategies below. A test sends each and asserts a 4xx problem, never
a 5xx: the whole class (every text, every date, every service), not one example.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

# NUL, the other C0 controls but tab and newline, DEL, C1, lone surrogates.
FORBIDDEN_CHARACTERS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))] + [
    "\ud800",
    "\udfff",
]


@st.composite
def text_with_a_control_character(draw: st.DrawFn, surrogates: bool = True) -> str:
    """Ordinary text with at least one character no text field may hold. `surrogates=False` for
    where UTF-8 is the encoding (a URL, a form), which cannot carry lone surrogates."""
    forbidden = FORBIDDEN_CHARACTERS if surrogates else FORBIDDEN_CHARACTERS[:-2]
    text = st.text(st.characters(exclude_categories=["Cs"]), max_size=5)
    return draw(text) + draw(st.sampled_from(forbidden)) + draw(text)


# Out of 1900..2199, at the edges of what Python and PostgreSQL take, and naive times.
BAD_DATES = st.sampled_from(["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
BAD_DATETIMES = st.sampled_from(
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-14:00",
        "1899-12-31T23:59:59+08:00",
        "2200-01-01T00:00:00+08:00",
        "2024-06-01T09:00:00",
    ]
)


@dataclass
class Operation:
    method: str
    path: str  # path parameters filled with fresh UUIDs
    body: Any  # a body the schema accepts
    schema: dict[str, Any]


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _text(schema: dict[str, Any]) -> str:
    if schema.get("examples"):
        return str(schema["examples"][0])
    low, high = int(schema.get("minLength", 1)), int(schema.get("maxLength", 20))
    pattern = schema.get("pattern")
    for candidate in ("13800000001", "123456", "text"):
        if (pattern is None or re.fullmatch(pattern, candidate)) and low <= len(candidate) <= high:
            return candidate
    return "x" * max(low, 1)


def example_of(schema: dict[str, Any], doc: dict[str, Any]) -> Any:
    """A value the schema accepts, with every optional property present (so each gets a turn)."""
    schema = _resolve(schema, doc)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, doc).get("type") != "null"]
            return example_of(options[0], doc)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        if not props and schema.get("additionalProperties") not in (None, False):
            return {"key": "text"}
        return {name: example_of(sub, doc) for name, sub in props.items()}
    if kind == "array":
        return [example_of(schema.get("items", {}), doc)] * max(1, schema.get("minItems", 1))
    if kind == "integer" or kind == "number":
        return max(schema.get("minimum", 1), min(1, schema.get("maximum", 1)))
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return "2024-06-01"
    if fmt == "date-time":
        return "2024-06-01T09:00:00+08:00"
    return _text(schema)


def _schema_at(schema: dict[str, Any], path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, doc)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, doc).get("type") != "null"]
            return _schema_at(options[0], path, doc)
    if not path:
        return schema
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        return _schema_at(schema.get("items", {}), rest, doc)
    return _schema_at(schema.get("properties", {}).get(head, {}), rest, doc)


def leaves(op: Operation, doc: dict[str, Any]) -> list[tuple[Path, str]]:
    """Each string in the body with what it holds: "text", "date" or "date-time"."""
    found: list[tuple[Path, str]] = []

    def walk(value: Any, path: Path) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))
        elif isinstance(value, str):
            fmt = _schema_at(op.schema, path, doc).get("format", "")
            found.append((path, fmt if fmt in ("date", "date-time") else "text"))

    walk(op.body, ())
    return found


def replace(body: Any, path: Path, value: Any) -> Any:
    """A copy of the body with the value at `path` replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, list):
        assert isinstance(head, int)
        return [replace(v, rest, value) if i == head else v for i, v in enumerate(body)]
    return {k: replace(v, rest, value) if k == head else v for k, v in body.items()}


def _with_known(value: Any, known: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: known[k] if k in known else _with_known(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_known(v, known) for v in value]
    return value


def json_operations(doc: dict[str, Any], known: dict[str, Any] | None = None) -> list[Operation]:
    """Every operation with a JSON request body, path parameters filled with fresh UUIDs; properties
    named in `known` (e.g. an existing `term_id`) take that value, so the body gets past lookups."""
    ops = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = content["application/json"]["schema"]
            filled = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
            body = _with_known(example_of(schema, doc), known or {})
            ops.append(Operation(method.upper(), filled, body, schema))
    return ops

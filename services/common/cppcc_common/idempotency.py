"""Idempotency-Key for writes from the mobile app (DESIGN.md §5).

A write (POST, PUT, PATCH, DELETE) carrying `Idempotency-Key` is answered once per caller and key:
- the same key with the same body replays the first response (`Idempotent-Replayed: true`);
- the same key with a different body is 422 `idempotency.key_reused`;
- while the first request is still running, a second one is 409 `idempotency.in_progress`.
Keys belong to the caller (the token's subject, or the client address without a token) and are
kept for `retention` (24 h). A 5xx answer is not kept, so the client may retry.

Tokens and secrets are never stored: token endpoints (`/api/v1/auth/…`: logins, refresh, token,
logout, passwords, SMS codes) take no part at all (not even a hash of their body is kept), and an
answer marked `Cache-Control: no-store` (a partner client's new secret) is kept without its body —
the same key then answers 409 `idempotency.not_replayable` instead of running the write twice.

The key row is claimed in its own transaction before the request runs and completed after it;
a process that dies in between leaves a claim that becomes retryable after `stale_after`.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cppcc_common.errors import AppError
from cppcc_common.i18n import Text, negotiate_language

HEADER = b"idempotency-key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 200
# Token endpoints (DESIGN.md §5: they never replay): requests with credentials, answers with tokens.
TOKEN_PATHS = ("/api/v1/auth/",)


class KeyReused(AppError):
    status = 422
    code = "idempotency.key_reused"
    title = Text("幂等键已用于不同的请求", "Idempotency key reused with a different request")
    detail = Text(
        "同一个 Idempotency-Key 只能用于内容相同的请求。",
        "Use a new Idempotency-Key for a different request.",
    )


class InProgress(AppError):
    status = 409
    code = "idempotency.in_progress"
    title = Text("相同的请求正在处理", "The same request is still being processed")
    detail = Text("请稍后重试。", "Retry in a moment.")


class NotReplayable(AppError):
    status = 409
    code = "idempotency.not_replayable"
    title = Text("该请求已完成，结果不可重放", "Already done; the answer cannot be replayed")
    detail = Text(
        "首次请求已成功，其结果含有凭据，未予保存。",
        "The first request succeeded; its answer held credentials and was not kept.",
    )


class BadKey(AppError):
    status = 422
    code = "idempotency.bad_key"
    title = Text("幂等键无效", "Invalid Idempotency-Key")
    detail = Text(
        "Idempotency-Key 须为 1–200 个可见字符。", "An Idempotency-Key is 1–200 visible characters."
    )


def _columns() -> list[sa.Column[Any]]:
    ts = sa.DateTime(timezone=True)
    return [
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("headers", sa.Text),
        sa.Column("body", sa.LargeBinary),
        sa.Column("created_at", ts, nullable=False, server_default=sa.func.now()),
        sa.Column("completed_at", ts),
    ]


def add_idempotency_table(metadata: sa.MetaData) -> None:
    table = sa.Table("idempotency_keys", metadata, *_columns())
    sa.Index("ix_idempotency_keys_created", table.c.created_at)


def create_idempotency_table_v1() -> None:
    """Alembic operations creating the table (call from a service migration)."""
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    op.create_table("idempotency_keys", *_columns())
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"])


def drop_idempotency_table_v1() -> None:
    from alembic import op  # here, not at the top: a serving process never loads Alembic

    op.drop_table("idempotency_keys")


_CLAIM = text(
    "INSERT INTO idempotency_keys (owner, key, request_hash) VALUES (:owner, :key, :hash) "
    "ON CONFLICT DO NOTHING RETURNING owner"
)
_EXISTING = text(
    "SELECT request_hash, status, headers, body, completed_at, "
    "created_at < now() - make_interval(secs => :stale) AS stale FROM idempotency_keys "
    "WHERE owner = :owner AND key = :key FOR UPDATE"
)
_RECLAIM = text(
    "UPDATE idempotency_keys SET request_hash = :hash, created_at = now() WHERE owner = :owner AND key = :key"
)
_COMPLETE = text(
    "UPDATE idempotency_keys SET status = :status, headers = :headers, body = :body, completed_at = now() "
    "WHERE owner = :owner AND key = :key"
)
_RELEASE = text("DELETE FROM idempotency_keys WHERE owner = :owner AND key = :key")
_PURGE = text("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => :secs)")


class IdempotencyMiddleware:
    """Pure ASGI middleware; inert for requests without the header."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Callable[[], AsyncEngine],
        owner_of: Callable[[str], Awaitable[str | None]],
        retention: timedelta = timedelta(hours=24),
        stale_after: timedelta = timedelta(minutes=2),
        skip_paths: tuple[str, ...] = TOKEN_PATHS,
    ) -> None:
        self.app = app
        self.engine = engine
        self.owner_of = owner_of
        self.skip_paths = skip_paths
        self.retention = retention
        self.stale_after = stale_after
        self._calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Reads (GET, HEAD) pass straight through: not even the headers are scanned.
        if scope["type"] != "http" or scope.get("method") not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        key = _header(scope, HEADER)
        if key is None or str(scope.get("path", "")).startswith(self.skip_paths):
            await self.app(scope, receive, send)
            return
        lang = negotiate_language(_header(scope, b"accept-language"))
        if not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
            await _problem(send, scope, BadKey(), lang)
            return
        body, receive = await _buffer(receive)
        owner = await self._owner(scope)
        request_hash = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope.get("path", "").encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        decision = await self._claim(owner, key, request_hash)
        if isinstance(decision, AppError):
            await _problem(send, scope, decision, lang)
            return
        if decision is not None:
            await _replay(send, *decision)
            return
        await self._run(scope, receive, send, owner, key)

    async def _owner(self, scope: Scope) -> str:
        token = bearer_token_from(_header(scope, b"authorization") or "")
        owner = await self.owner_of(token) if token else None
        client = scope.get("client") or ("unknown", 0)
        return owner or f"ip:{client[0]}"

    async def _claim(
        self, owner: str, key: str, request_hash: str
    ) -> AppError | tuple[int, str, bytes] | None:
        async with self.engine().begin() as conn:
            self._calls += 1
            if self._calls % 1000 == 0:
                await conn.execute(_PURGE, {"secs": self.retention.total_seconds()})
            if (await conn.execute(_CLAIM, {"owner": owner, "key": key, "hash": request_hash})).first():
                return None
            params = {"owner": owner, "key": key, "stale": self.stale_after.total_seconds()}
            row = (await conn.execute(_EXISTING, params)).first()
            if row is None:  # released meanwhile: claim again
                await conn.execute(_CLAIM, {"owner": owner, "key": key, "hash": request_hash})
                return None
            if row.completed_at is None:
                if not row.stale:
                    return InProgress(headers={"Retry-After": "1"})
                await conn.execute(_RECLAIM, {"owner": owner, "key": key, "hash": request_hash})
                return None
            if row.request_hash != request_hash:
                return KeyReused()
            if row.body is None:
                return NotReplayable()
            return int(row.status), str(row.headers), bytes(row.body)

    async def _run(self, scope: Scope, receive: Receive, send: Send, owner: str, key: str) -> None:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            async with self.engine().begin() as conn:
                if status >= 500:
                    await conn.execute(_RELEASE, {"owner": owner, "key": key})
                elif _no_store(headers):
                    params = {"owner": owner, "key": key, "status": status, "headers": "[]", "body": None}
                    await conn.execute(_COMPLETE, params)
                else:
                    kept = [
                        (k.decode("latin-1"), v.decode("latin-1"))
                        for k, v in headers
                        if k.lower() not in (b"content-length", b"x-request-id", b"date", b"server")
                    ]
                    await conn.execute(
                        _COMPLETE,
                        {
                            "owner": owner,
                            "key": key,
                            "status": status,
                            "headers": json.dumps(kept),
                            "body": b"".join(chunks),
                        },
                    )


def _no_store(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the answer forbids being stored (it carries a token or a secret)."""
    return any(
        k.lower() == b"cache-control" and b"no-store" in v.lower().replace(b" ", b"").split(b",")
        for k, v in headers
    )


def bearer_token_from(value: str) -> str | None:
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Reads the whole body (already capped by the body-size middleware) and replays it to the app."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _replay(send: Send, status: int, headers_json: str, body: bytes) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(headers_json)]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, scope: Scope, error: AppError, lang: str) -> None:
    body = json.dumps(error.problem(lang, scope.get("path", "")), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""Operators bootstrap a new organization (tenant) and its first administrator from the command line."""

import asyncio
import base64
import os
import sys
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from member_svc.identity.keys import KeyCipher, new_signing_key

from .conftest import MIGRATIONS


async def _run(url: str, *args: str, stdin: bytes) -> tuple[int, str, str]:
    env = dict(os.environ, MEMBER_DATABASE_URL=url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "member_svc",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(stdin)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_create_org_makes_a_tenant_with_an_administrator(databases: Any) -> None:
    url = databases.migrated(MIGRATIONS, "member")
    args = (
        "create-org",
        "--name",
        "庚市政协",
        "--level",
        "municipal",
        "--admin-name",
        "系统管理员",
        "--admin-phone",
        "13400000001",
    )
    weak = await _run(url, *args, stdin=b"short\n")
    assert weak[0] != 0 and "too weak" in weak[2]
    code, out, _ = await _run(url, *args, stdin=b"Adm1n-password\n")
    assert code == 0 and "created" in out
    conn = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        row = await conn.fetchrow(
            "SELECT o.name, o.level, p.roles, p.password_hash FROM people p "
            "JOIN organizations o ON o.id = p.org_id WHERE p.phone = '13400000001'"
        )
    finally:
        await conn.close()
    assert row["name"] == "庚市政协" and row["level"] == "municipal" and "admin" in row["roles"]
    assert row["password_hash"].startswith("$argon2id$")
    again = await _run(url, *args, stdin=b"Adm1n-password\n")
    assert again[0] != 0 and "already has an account" in again[2]


def test_a_signing_key_id_never_reads_as_a_command_line_option() -> None:
    """`retire-signing-key <kid>` takes the id as an argument: one starting with "-" (1 in 64 of
    random base64url ids) would be read as an option and the key could not be retired."""
    cipher = KeyCipher(base64.urlsafe_b64encode(os.urandom(32)).decode())
    now = datetime(2026, 12, 1, tzinfo=UTC)
    kids = [new_signing_key(cipher, now, days=90).kid for _ in range(600)]
    assert not [kid for kid in kids if kid.startswith("-")]
    assert len(set(kids)) == len(kids)

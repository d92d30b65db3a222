"""Migration 0008 (notify-svc): SMS numbers kept before it in plain text are encrypted under
NOTIFY_WEBHOOK_KEY (bound to their person), devices get their session; without the key the
migration refuses to leave numbers in plain text; the downgrade gives the numbers back."""

import asyncio
import uuid
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from webhook_support import new_key

import notify_svc
from cppcc_common.db import create_engine
from cppcc_common.migrations import alembic_config, upgrade
from notify_svc import crypto

MIGRATIONS = Path(notify_svc.__file__).parent / "migrations"
# The revision 0008 follows (0006 when written; whatever the chain is re-linked to).
BEFORE = str(ScriptDirectory.from_config(alembic_config(MIGRATIONS, "")).get_revision("0008").down_revision)


async def _run(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _with_a_plain_number(databases: Any) -> tuple[str, uuid.UUID]:
    url = databases.empty("notify0008")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, BEFORE)
    person = uuid.uuid4()
    await _run(
        url,
        "INSERT INTO channel_preferences (person_id, org_id, locale, quiet_enabled, quiet_start, quiet_end,"
        " sms_phone, categories, version, updated_at) VALUES (:p, :o, 'zh', true, :s, :e, '13800138000',"
        " '{}', 1, :now)",
        p=person, o=uuid.uuid4(), s=time(22), e=time(8), now=datetime.now(UTC),
    )  # fmt: skip
    return url, person


async def test_migration_0008_encrypts_the_numbers_kept_in_plain_text_and_the_downgrade_restores_them(
    databases: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, person = await _with_a_plain_number(databases)
    key = new_key()
    monkeypatch.setenv("NOTIFY_WEBHOOK_KEY", key)
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0008")
    [(plain, sealed)] = await _run(
        url, "SELECT sms_phone, sms_phone_encrypted FROM channel_preferences WHERE person_id = :p", p=person
    )
    assert plain is None and b"13800138000" not in bytes(sealed)
    assert crypto.unseal_phone(crypto.decode_key(key), person, bytes(sealed)) == "13800138000"
    assert await _run(url, "SELECT session_id FROM devices") == []  # the column is there

    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, url), BEFORE)
    [(restored,)] = await _run(
        url, "SELECT sms_phone FROM channel_preferences WHERE person_id = :p", p=person
    )
    assert restored == "13800138000"


async def test_migration_0008_without_the_key_leaves_nothing_in_plain_text_behind_it(
    databases: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = await _with_a_plain_number(databases)
    monkeypatch.delenv("NOTIFY_WEBHOOK_KEY", raising=False)
    with pytest.raises(RuntimeError, match="NOTIFY_WEBHOOK_KEY"):
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0008")
    [(version,)] = await _run(url, "SELECT version_num FROM alembic_version")
    assert version == BEFORE  # rolled back whole: run again with the key


async def test_migration_0008_needs_no_key_where_no_number_was_kept(
    databases: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFY_WEBHOOK_KEY", raising=False)
    url = databases.empty("notify0008")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0008")
    [(version,)] = await _run(url, "SELECT version_num FROM alembic_version")
    assert version == "0008"

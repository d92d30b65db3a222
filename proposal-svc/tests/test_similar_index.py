"""The similar-proposal index outside requests: migration 0014's backfill of the proposals
submitted before it, the re-index command, and the segmenter's rules (pure)."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

import proposal_svc
from cppcc_common.db import create_engine
from cppcc_common.migrations import upgrade
from proposal_svc.similar import segmenter
from proposal_svc.similar.__main__ import reindex

MIGRATIONS = Path(proposal_svc.__file__).parent / "migrations"


async def _proposal(conn: Any, status: str, title: str, submitted: bool = True) -> uuid.UUID:
    pid = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions, first_proposer_id,"
            " created_at, updated_at, submitted_at, version) VALUES (:p, :o, :s, 'ordinary', :t,"
            " '老旧小区加装电梯审批难', '[\"并联审批\"]', :o, now(), now(), :at, 1)"
        ),
        {
            "p": pid,
            "o": uuid.uuid4(),
            "s": status,
            "t": title,
            "at": datetime(2026, 1, 5, tzinfo=UTC) if submitted else None,
        },
    )
    return pid


async def test_migration_0014_backfills_every_submitted_proposal_and_no_draft(databases: Any) -> None:
    url = databases.empty("similar_backfill")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0013")
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            submitted = await _proposal(conn, "submitted", "关于加装电梯的建议")
            filed = await _proposal(conn, "filed", "关于老旧小区停车的建议")
            draft = await _proposal(conn, "draft", "关于养老助餐的建议", submitted=False)
            deleted = await _proposal(conn, "deleted", "", submitted=False)
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0014")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT proposal_id, series, title_terms FROM proposal_texts"))
            ).all()
        found = {r.proposal_id: r for r in rows}
        assert set(found) == {submitted, filed} and draft not in found and deleted not in found
        assert found[submitted].series == "year:2026" and "加装电梯" in found[submitted].title_terms.split()
        # The re-index command writes the same rows again (after a dictionary change).
        assert await reindex(url) == 2
    finally:
        await engine.dispose()


def test_segmenter_keeps_the_domain_terms_whole_and_their_parts() -> None:
    terms = segmenter.terms("关于推进老旧小区加装电梯和医养结合的建议")
    for term in ("老旧小区", "小区", "加装电梯", "加装", "电梯", "医养结合"):
        assert term in terms, term
    assert "关于" not in terms and "建议" not in terms  # stop words


def test_segmenter_drops_numbers_so_contact_details_never_count() -> None:
    """A phone number, an extension or a year says nothing about a matter (and a published copy has
    them removed): neither the index nor a query holds them."""
    terms = segmenter.terms("联系电话13800001111，座机010-12345678转8001，2025年")
    assert not any(ch.isdigit() for t in terms for ch in t), terms


def test_segmenter_normalizes_full_width_and_case() -> None:
    assert segmenter.terms("ＡＩ医疗") == segmenter.terms("ai医疗")


def test_tsvector_literal_weights_the_title_a_and_the_body_b() -> None:
    literal = segmenter.tsvector_literal(["电梯"], ["电梯", "审批"])
    assert literal == "'电梯':1A,2B '审批':3B"
    assert segmenter.tsquery_literal(["电梯", "审批"]) == "'电梯' | '审批'"

"""Similar proposals: the quality measured on the labelled set (tests/data/similar_proposals.json,
200 proposals, 40 matters written five ways each; similar_matters.py explains it).

Every proposal is stored, submitted, and indexed through the consumer's own function on the real
PostgreSQL; then each is asked for, once as the office's merge candidates (GET …/{id}/similar) and
once as a member would type it (POST …/similar). A hit is another writing of the same matter; a
proposal of the same theme but another matter is not one. The figures are printed (pytest -s) and
held by floors a little below what was measured, so a change to the segmenter, the dictionary or
the score that makes them worse fails here.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cppcc_common.auth import Principal
from cppcc_common.change import system_change
from cppcc_common.db import create_engine, create_sessionmaker
from proposal_svc.settings import Settings
from proposal_svc.similar import service

DATA = json.loads((Path(__file__).parent / "data" / "similar_proposals.json").read_text(encoding="utf-8"))
K = 5
# Measured 2026-12-01 (see docs/proposals.md "Similar proposals"); floors a little below.
FLOORS = {
    "merge_candidates": {"precision": 0.95, "recall": 0.80},
    "typing": {"precision": 0.95, "recall": 0.80},
}

ORG = uuid.uuid4()
OFFICE = Principal(sub=uuid.uuid4(), org=ORG, roles=frozenset({"staff"}), scopes=frozenset({"proposals"}))
NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
async def indexed(settings: Settings) -> dict[str, uuid.UUID]:
    """The labelled proposals, submitted in ORG and indexed; label id → proposal id."""
    engine = create_engine(settings.database_url, pool_size=1)
    ids = {p["id"]: uuid.uuid4() for p in DATA["proposals"]}
    async with engine.begin() as conn:
        for i, p in enumerate(DATA["proposals"]):
            at = NOW + timedelta(minutes=i)
            await conn.execute(
                text(
                    "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions,"
                    " first_proposer_id, created_at, updated_at, submitted_at, version)"
                    " VALUES (:id, :org, 'submitted', 'ordinary', :title, :situation, CAST(:suggestions AS jsonb),"
                    " :who, :at, :at, :at, 2)"
                ),
                {
                    "id": ids[p["id"]],
                    "org": ORG,
                    "title": p["title"],
                    "situation": p["situation"],
                    "suggestions": json.dumps(p["suggestions"], ensure_ascii=False),
                    "who": uuid.uuid4(),
                    "at": at,
                },
            )
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        change = system_change(session, now=NOW, source="/proposal-svc")
        for pid in ids.values():
            assert await service.index_submitted(change, pid)
    await engine.dispose()
    return ids


def _figures(results: dict[str, list[uuid.UUID]], ids: dict[str, uuid.UUID]) -> dict[str, float]:
    by_id = {ids[p["id"]]: p for p in DATA["proposals"]}
    returned = hits = relevant = same_topic = 0
    for label, found in results.items():
        matter = next(p["matter"] for p in DATA["proposals"] if p["id"] == label)
        theme = next(p["theme"] for p in DATA["proposals"] if p["id"] == label)
        relevant += min(K, sum(1 for p in DATA["proposals"] if p["matter"] == matter and p["id"] != label))
        returned += len(found)
        hits += sum(1 for f in found if by_id[f]["matter"] == matter)
        same_topic += sum(1 for f in found if by_id[f]["matter"] != matter and by_id[f]["theme"] == theme)
    return {
        "precision": hits / returned if returned else 0.0,
        "recall": hits / relevant,
        "strict_precision": hits / (K * len(results)),
        "same_topic_other_matter_share": same_topic / returned if returned else 0.0,
        "returned_per_query": returned / len(results),
    }


async def _measure(settings: Settings, ids: dict[str, uuid.UUID]) -> dict[str, dict[str, float]]:
    engine = create_engine(settings.database_url, pool_size=1)
    sessions = create_sessionmaker(engine)
    merge: dict[str, list[uuid.UUID]] = {}
    typing: dict[str, list[uuid.UUID]] = {}
    async with sessions() as session:
        for p in DATA["proposals"]:
            pid = ids[p["id"]]
            merge[p["id"]] = [s.id for s in await service.merge_candidates(session, OFFICE, pid, limit=K)]
            body = p["situation"] + "".join(p["suggestions"])
            typed = await service.suggest(session, OFFICE, title=p["title"], body=body, limit=K + 1)
            typing[p["id"]] = [s.id for s in typed if s.id != pid][:K]
    await engine.dispose()
    return {"merge_candidates": _figures(merge, ids), "typing": _figures(typing, ids)}


async def test_similar_proposals_quality_holds_its_floor(
    settings: Settings, indexed: dict[str, uuid.UUID]
) -> None:
    """Precision@5 and recall@5 of both paths on the labelled set, printed and held by the floors."""
    figures = await _measure(settings, indexed)
    for path, values in figures.items():
        print(f"\nsimilar proposals, {path}: " + ", ".join(f"{k}={v:.3f}" for k, v in values.items()))
    for path, floors in FLOORS.items():
        for name, floor in floors.items():
            assert figures[path][name] >= floor, (path, name, figures[path][name], floor)

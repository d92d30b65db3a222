"""`python -m proposal_svc.similar reindex`: segments every submitted proposal anew (after the
dictionary, the stop words or the segmenter changed) with the database of PROPOSAL_DATABASE_URL."""

import asyncio
import sys

from cppcc_common.db import create_engine
from proposal_svc.settings import Settings
from proposal_svc.similar.backfill import backfill_sync


async def reindex(database_url: str) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(backfill_sync)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    if argv != ["reindex"]:
        print("usage: python -m proposal_svc.similar reindex", file=sys.stderr)
        return 2
    count = asyncio.run(reindex(Settings().database_url))
    print(f"已重建相似提案索引 / re-indexed {count} proposals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

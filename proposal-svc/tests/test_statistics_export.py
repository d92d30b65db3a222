"""The list's export of 100,000 proposals runs in bounded memory: rows come from a server-side cursor
a batch at a time and leave as compressed pieces of the workbook while the next are read."""

import gc
import io
import time
import uuid
import zipfile

import psutil
from sqlalchemy import text

from cppcc_common.auth import Principal
from cppcc_common.db import create_engine, create_sessionmaker
from proposal_svc.settings import Settings
from proposal_svc.statistics import service
from proposal_svc.statistics.domain import ListFilter, Sort

from .statistics_data import NOW

ROWS = 100_000
# What the export may add to the process's resident memory at its peak: less than the sheet's own
# XML (checked below), let alone its rows as Python objects.
MEMORY_BOUND = 40 * 1024 * 1024


async def _many(settings: Settings, org: uuid.UUID) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions,"
                    " first_proposer_id, created_at, updated_at, submitted_at, version, filing_series,"
                    " filing_number, filed_at)"
                    " SELECT gen_random_uuid(), :org, 'filed', 'session',"
                    " '关于加强城市精细化管理提升群众获得感的建议（' || n || '）', '情况与分析', '[\"建议\"]',"
                    " gen_random_uuid(), CAST(:at AS timestamptz), CAST(:at AS timestamptz), CAST(:at AS timestamptz) - make_interval(secs => n), 1, 'year:2026', n, CAST(:at AS timestamptz)"
                    " FROM generate_series(1, :rows) AS n"
                ),
                {"org": org, "at": NOW, "rows": ROWS},
            )
    finally:
        await engine.dispose()


async def test_the_export_of_100000_rows_streams_in_bounded_memory(settings: Settings) -> None:
    org = uuid.uuid4()
    await _many(settings, org)
    engine = create_engine(settings.database_url, pool_size=1)
    principal = Principal(
        sub=uuid.uuid4(), org=org, roles=frozenset({"staff"}), scopes=frozenset({"proposals"})
    )
    sessions = create_sessionmaker(engine)
    content = io.BytesIO()
    chunks = 0
    process = psutil.Process()
    try:
        async for _ in service.export_list(sessions, principal, ListFilter(q="第1号"), today=NOW.date()):
            pass  # a first small export loads every code path
        gc.collect()
        base = peak = process.memory_info().rss
        started = time.perf_counter()
        stream = service.export_list(sessions, principal, ListFilter(sort=Sort.NUMBER), today=NOW.date())
        async for chunk in stream:
            chunks += 1
            content.write(chunk)
            peak = max(peak, process.memory_info().rss)
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    size = content.tell()
    print(
        f"\nexport of {ROWS} rows: {size / 1e6:.1f} MB in {chunks} pieces, {seconds:.1f} s,"
        f" peak resident memory +{(peak - base) / 1e6:.1f} MB"
    )
    assert peak - base < MEMORY_BOUND
    assert chunks > 20  # sent piece by piece while rows were still being read, not at the end
    with zipfile.ZipFile(content) as package:
        sheet = package.read("xl/worksheets/sheet1.xml")
    assert sheet.count(b"<row ") == ROWS + 1  # the header and every proposal
    assert len(sheet) > MEMORY_BOUND  # the bound is meaningful: the sheet alone would pass it

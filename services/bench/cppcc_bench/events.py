"""Event latency, commit to effect: submissions at a fixed rate, each one's inbox item timed.

The sender is open-loop (it sends on schedule whether or not earlier answers came back), so a
slow service cannot slow the arrival rate down. The latency of one event is the inbox item's
`created_at` (stamped by notify-svc's consumer when it handles the event) minus the proposal's
`submitted_at` (stamped by proposal-svc in the submitting request, just before its commit): the
relay, NATS and the consumer are all inside it.
"""

import asyncio
import statistics
import time
from typing import Any

import asyncpg
import httpx


async def _send(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], failures: list[int], took: list[float]
) -> None:
    try:
        started = time.perf_counter()
        response = await client.post(path, headers=headers)
        took.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 300:
            failures.append(response.status_code)
    except httpx.HTTPError:
        failures.append(0)


async def event_latency(
    proposal_url: str,
    token: str,
    drafts: list[str],
    *,
    rate: float,
    proposal_dsn: str,
    notify_dsn: str,
    wait: float = 30.0,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[int] = []
    took: list[float] = []  # each submission's answer time as the sender saw it
    limits = httpx.Limits(max_connections=512)
    async with httpx.AsyncClient(base_url=proposal_url, timeout=10, limits=limits) as client:
        start = time.perf_counter()
        tasks = []
        for i, draft in enumerate(drafts):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(
                asyncio.create_task(
                    _send(client, f"/api/v1/proposals/{draft}/submit", headers, failures, took)
                )
            )
        sent_for = time.perf_counter() - start
        await asyncio.gather(*tasks)
    ids = list(drafts)
    proposals = await asyncpg.connect(proposal_dsn)
    notify = await asyncpg.connect(notify_dsn)
    try:
        submitted = {
            r["id"]: r["submitted_at"]
            for r in await proposals.fetch(
                "SELECT id, submitted_at FROM proposals WHERE id = ANY($1::uuid[]) AND submitted_at IS NOT NULL",
                ids,
            )
        }
        deadline = time.monotonic() + wait
        while True:
            rows = await notify.fetch(
                "SELECT object_id, min(created_at) AS at FROM inbox_items"
                " WHERE object_id = ANY($1::uuid[]) GROUP BY object_id",
                list(submitted),
            )
            if len(rows) >= len(submitted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        # When the relay's round that published each event began (its `sent_at` is that transaction's
        # now()): splits the latency into "to the relay" and "relay to inbox item".
        relayed = {
            r["subject"]: r["sent_at"]
            for r in await proposals.fetch(
                "SELECT (payload::jsonb)->>'subject' AS subject, sent_at FROM outbox"
                " WHERE subject = 'cppcc.proposal.submitted.v1' AND sent_at IS NOT NULL"
            )
        }
    finally:
        await proposals.close()
        await notify.close()
    latencies = sorted((r["at"] - submitted[r["object_id"]]).total_seconds() * 1000 for r in rows)
    if not latencies:
        return {"events": 0, "rate": rate, "failures": len(failures)}
    to_relay = sorted(
        (relayed[str(i)] - at).total_seconds() * 1000 for i, at in submitted.items() if str(i) in relayed
    )
    after_relay = sorted(
        (r["at"] - relayed[str(r["object_id"])]).total_seconds() * 1000
        for r in rows
        if str(r["object_id"]) in relayed
    )
    return {
        "events": len(latencies),
        "missing": len(submitted) - len(latencies),
        "rate": len(drafts) / sent_for,
        "failures": len(failures),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max_ms": latencies[-1],
        "submit_p50_ms": statistics.median(took) if took else None,
        "to_relay_p50_ms": statistics.median(to_relay) if to_relay else None,
        "relay_to_inbox_p50_ms": statistics.median(after_relay) if after_relay else None,
    }

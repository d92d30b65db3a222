"""`python -m cppcc_devstack run | migrate` — what `make run` and `make migrate` call."""

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cppcc_devstack.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    PARTNER_FILE,
    RosterLoad,
    partner_credentials,
    seed_statistics,
    seed_stories,
)
from cppcc_devstack.stack import SERVICES, PortInUse, Stack, StartupFailed


def _stack() -> Stack:
    root = Path(os.environ.get("CPPCC_DATA_DIR", ".data/dev"))
    return Stack(
        root,
        base_port=int(os.environ.get("CPPCC_BASE_PORT", "8000")),
        nats_port=int(os.environ.get("CPPCC_NATS_PORT", "4222")),
        database_url=os.environ.get("DATABASE_URL") or None,
        nats_url=os.environ.get("NATS_URL") or None,
        say=lambda msg: print(msg, flush=True),
    )


def _banner(stack: Stack, seconds: float) -> None:
    print()
    print(f"掌上政协后端已就绪 / ready in {seconds:.1f}s")
    print(f"  网关 Gateway      {stack.gateway_url}")
    print(f"  接口文档 API docs  {stack.gateway_url}/docs   (OpenAPI: {stack.gateway_url}/openapi.json)")
    for svc in SERVICES:
        print(f"  {svc.name + '-svc':<17} {stack.service_url(svc)}")
    print(f"  NATS              {stack.nats_url}")
    print(f"  数据 Data          {stack.data_dir}   (日志 logs: {stack.log_dir})")
    print(f"演示账号 Demo logins (password 密码: {DEMO_PASSWORD}):")
    for phone, role, name in DEMO_LOGINS:
        print(f"  {phone}  {name}  {role}")
    partner = partner_credentials(stack)
    print(
        f"  对接系统 partner client (client credentials): {partner.client_id}, "
        f"secret in {stack.data_dir / PARTNER_FILE}"
    )
    print(
        f'  例 e.g. curl -s {stack.gateway_url}/api/v1/auth/login -H "Content-Type: application/json" '
        f'-d \'{{"phone":"13800000001","password":"{DEMO_PASSWORD}"}}\''
    )
    print(
        f"  短信验证码（开发环境不真实发送）/ SMS codes (not really sent here): {stack.log_dir / 'member.log'}"
    )
    print("进程退出时自动重启 / a process that dies is started again (1 s, 2 s, 4 s … back-off).")
    print("按 Ctrl-C 停止 / Ctrl-C stops everything; data is kept for the next run.")


def _in_background(stack: Stack, load: Callable[[Stack], None]) -> None:
    """The statistics' template proposals load once the stack is ready (about 15 s of a 2-core
    machine's time, most of what `make run` took before it could be used); they are the only part of
    the demo that nothing else waits for. A failure is told, and the stack keeps running."""
    print("统计用演示提案在后台加载 / the statistics' demo proposals load in the background …", flush=True)

    def run() -> None:
        try:
            load(stack)
        except Exception as exc:  # the stack stays up; the next start loads what is missing
            if not stopping.is_set():
                print(
                    f"后台演示数据加载失败 / background demo load failed: {exc!r}",
                    file=sys.stderr,
                    flush=True,
                )

    threading.Thread(target=run, name="demo-statistics", daemon=True).start()


stopping = threading.Event()  # set when the stack stops: a background load cut short says nothing


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _still_stopping(*_: object) -> None:
    print("正在停止，请稍候 / still stopping, a moment …", file=sys.stderr)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Stopping runs to its end: a second Ctrl-C (or the SIGINT `timeout` sends after forwarding
    its own) would otherwise cut `Stack.stop()` short and leave the services running, parentless.
    Each process gets at most 15 s before it is killed, so stopping always ends."""
    previous = {sig: signal.signal(sig, _still_stopping) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run() -> int:
    stack = _stack()
    started = time.monotonic()
    # Ctrl-C and SIGTERM both stop everything cleanly, even where SIGINT was ignored by the launcher.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # The roster loads into member-svc's database while the services start.
        roster: list[RosterLoad] = []
        stack.start(migrated=lambda: roster.append(RosterLoad(stack)))
        seed_stories(stack, roster[0])
        _banner(stack, time.monotonic() - started)
        _in_background(stack, seed_statistics)
        while True:  # the stack's supervisor restarts what dies; this only waits for Ctrl-C
            time.sleep(3600)
    except PortInUse as exc:
        print(exc, file=sys.stderr)
        return 2
    except StartupFailed as exc:
        print(f"启动失败 / start-up failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n正在停止 / stopping …")
        return 0
    finally:
        stopping.set()
        with uninterrupted():
            stack.stop()


def migrate() -> int:
    stack = _stack()
    try:
        stack.start_infrastructure()
        stack.migrate()
        print("migrations applied")
        return 0
    finally:
        stopping.set()
        with uninterrupted():
            stack.stop()


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    commands = {"run": run, "migrate": migrate}
    if command not in commands:
        print(f"usage: python -m cppcc_devstack {{{'|'.join(commands)}}}", file=sys.stderr)
        return 2
    return commands[command]()


if __name__ == "__main__":
    sys.exit(main())

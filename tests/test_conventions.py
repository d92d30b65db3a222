"""Conventions checked by tools, so that `make test` fails on a break and not a reviewer's memory
(docs/testing.md, "Conventions checked by tools")."""

import ast
import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Every package of ours: the shared library, the gateway, the tools, the four services.
PACKAGES = [
    "services/common/cppcc_common",
    "services/gateway/cppcc_gateway",
    "services/devstack/cppcc_devstack",
    "services/bench/cppcc_bench",
    "member-svc/member_svc",
    "proposal-svc/proposal_svc",
    "consultation-svc/consultation_svc",
    "notify-svc/notify_svc",
]
# The one place that reads the wall time; everything else takes `now` from an injected Clock.
CLOCK = ROOT / "services/common/cppcc_common/clock.py"
WALL_TIME_READS = {
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "time.time",
    "time.time_ns",
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_hold() -> None:
    """The import-linter contracts of pyproject.toml: services independent, gateway and shared
    library import no service, the gateway no database or bus library, domain modules pure."""
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_gateway_process_loads_no_database_or_bus_library() -> None:
    """What import-linter sees statically, checked in a real interpreter: importing the gateway and
    building its app loads none of sqlalchemy, asyncpg, alembic, nats."""
    probe = (
        "import sys\n"
        "import cppcc_gateway.__main__, cppcc_gateway.main\n"
        "cppcc_gateway.main.create_app()\n"
        "roots = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(roots & {'sqlalchemy', 'asyncpg', 'alembic', 'nats'}))\n"
    )
    result = _run(sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_a_serving_service_process_loads_no_alembic() -> None:
    """Alembic (~14 MB and 0.15 s of every start) is for `migrate` only: a service's command line
    and its app, as `serve` loads them, import none of it (the tables' migration helpers import
    it in their bodies)."""
    for service in ("member_svc", "proposal_svc", "consultation_svc", "notify_svc"):
        probe = (
            "import sys\n"
            "sys.argv = ['serve', '--help']\n"
            "try:\n"
            f"    import {service}.__main__\n"
            "except SystemExit:\n"
            "    pass\n"
            f"import {service}.main\n"
            f"{service}.main.create_app()\n"
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'alembic', 'mako'}))\n"
        )
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()  # member-svc refuses to start without
        env = {**os.environ, "MEMBER_KEY_ENCRYPTION_KEY": key}
        result = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "[]", (service, result.stdout)


def test_mypy_strict_passes_on_every_package() -> None:
    """mypy --strict (pyproject.toml) on the shared library, the gateway, the tools and every service."""
    result = _run(str(BIN / "mypy"), *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


def _qualified_names(tree: ast.Module) -> dict[str, str]:
    """Local name → what it was imported as (`from datetime import datetime as dt` → dt: datetime.datetime)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def wall_time_reads(source: str) -> Iterator[tuple[int, str]]:
    """(line, call) of every call in `source` that reads the wall time, through any import alias."""
    tree = ast.parse(source)
    names = _qualified_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        qualified = names.get(head, head) + (f".{rest}" if rest else "")
        if qualified in WALL_TIME_READS:
            yield node.lineno, qualified


def test_wall_time_reads_are_found_through_any_alias() -> None:
    """The checker itself: each way of spelling a wall-time read is caught; the clock-free ones are not."""
    source = (
        "import datetime as d\nimport time\nfrom datetime import date, datetime\n"
        "from datetime import datetime as dt\nfrom time import time as now, monotonic, perf_counter\n"
        "d.datetime.now()\ntime.time()\ndate.today()\ndatetime.utcnow()\ndt.now(d.UTC)\nnow()\n"
        "monotonic()\nperf_counter()\ntime.monotonic()\ndatetime.fromisoformat('2024-01-01')\nclock.now()\n"
    )
    assert [line for line, _ in wall_time_reads(source)] == [6, 7, 8, 9, 10, 11]


def test_nothing_outside_the_clock_reads_the_wall_time() -> None:
    """Service and shared-library code takes `now` from the runtime's injectable Clock (FakeClock in
    tests); only cppcc_common/clock.py reads the wall time. Durations use time.monotonic/perf_counter."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {call}()"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != CLOCK
        for line, call in wall_time_reads(path.read_text())
    ]
    assert found == [], "read the time from the runtime's clock instead:\n" + "\n".join(found)


SERVICE_PACKAGES = [p for p in PACKAGES if p.endswith("_svc")]
# The write path's own pieces: only `Change.emit` wraps a payload in its envelope and stages it.
HAND_BUILT_ENVELOPE = {
    "cppcc_common.events.make_event",
    "cppcc_common.events.CloudEvent",
    "cppcc_common.outbox.stage",
}


def _service_modules() -> Iterator[tuple[Path, ast.Module]]:
    for package in SERVICE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text())


def hand_built_envelopes(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, name) of every call that builds or stages an event envelope without `Change.emit`,
    and of every CloudEvents source a module spells itself (`"/proposal-svc"`)."""
    names = _qualified_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (dotted := _dotted(node.func)) is not None:
            head, _, rest = dotted.partition(".")
            qualified = names.get(head, head) + (f".{rest}" if rest else "")
            if qualified in HAND_BUILT_ENVELOPE:
                yield node.lineno, qualified
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("/")
            and node.value.endswith("-svc")
        ):
            yield node.lineno, f"source {node.value!r}"


def test_hand_built_envelopes_are_found_through_any_alias() -> None:
    """The checker itself."""
    source = (
        "from cppcc_common.events import make_event as mk, CloudEvent\nimport cppcc_common.outbox as o\n"
        "from cppcc_common import events\n"
        "mk(x)\nCloudEvent(id=1)\no.stage(s, e)\nevents.make_event(y)\nSOURCE = '/member-svc'\n"
        "change.emit(x, subject=1, orgid=2)\nCloudEvent.model_validate(d)\n"
    )
    assert [line for line, _ in hand_built_envelopes(ast.parse(source))] == [4, 5, 6, 7, 8]


def test_no_service_builds_an_event_envelope_by_hand() -> None:
    """Every event a service publishes is staged by `Change.emit` (cppcc_common/change.py), which
    takes the time from the runtime's clock, the source from the settings and the trace from the
    request or the event being handled: no service calls make_event or stage, builds a CloudEvent,
    or spells its own source."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path, tree in _service_modules()
        for line, name in hand_built_envelopes(tree)
    ]
    assert found == [], "emit events with `await change.emit(...)` instead:\n" + "\n".join(found)


def test_no_router_imports_another_router() -> None:
    """A context's HTTP layer is its own: what two routers share (permissions, schemas, writers)
    lives in a module both import, never in one of the routers."""
    found = []
    for path, tree in _service_modules():
        if path.name != "router.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".router"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import …")
    assert found == [], "\n".join(found)

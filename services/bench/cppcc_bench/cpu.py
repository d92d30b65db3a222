"""Where the machine's CPU goes while a figure runs: each process of the stack, PostgreSQL (all its
processes), nats-server, and the rest of the machine (wrk, the bench's own sender, the kernel), as
CPU time per request or per event. On two cores a write is a whole-system figure: the service, the
database and every consumer of its events share them."""

import os
from collections.abc import Mapping
from pathlib import Path

from cppcc_bench.wrk import cpu_seconds

_TICK = os.sysconf("SC_CLK_TCK")


def _postgres_seconds() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "comm").read_text().startswith("postgres"):
                continue
            total += cpu_seconds(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # a backend that ended meanwhile
    return total


def _machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores; /proc/stat, idle and iowait excluded)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _TICK


def snapshot(pids: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds so far: each named process, PostgreSQL, and the machine."""
    now = {name: cpu_seconds(pid) for name, pid in pids.items()}
    now["postgres"] = _postgres_seconds()
    now["machine"] = _machine_busy_seconds()
    return now


def per_unit(before: Mapping[str, float], after: Mapping[str, float], units: int) -> dict[str, float]:
    """µs of CPU per request (or event) of each part between two snapshots; "other" is the machine's
    busy time that none of the named parts used (wrk, the bench's sender, the kernel's own work)."""
    if units <= 0:
        return {}
    spent = {name: after[name] - before[name] for name in after}
    machine = spent.pop("machine")
    spent["other"] = max(machine - sum(spent.values()), 0.0)
    return {name: seconds / units * 1e6 for name, seconds in spent.items()}

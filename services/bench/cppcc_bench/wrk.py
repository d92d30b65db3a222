"""Load from a separate process with wrk (Debian's package), and its figures parsed.

wrk is a closed-loop generator: 32 connections each send the next request when the previous one
answers. That measures throughput at saturation, and the latencies are those a client with 32
requests in flight sees at that load. It does not correct for coordinated omission, so the
latencies of a stalled server look better than an open-loop generator would show; the figures that
matter here (throughput ratios in one run, p99 at c32) are what the targets are stated in. The
event-latency figure, which needs a fixed arrival rate, comes from an open-loop Python sender
instead (`events.py`).
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors and non-2xx/3xx answers
    raw: str = field(repr=False, default="")
    cpu_us: float | None = None  # CPU time of the server process per request, when its pid was given


class WrkMissing(RuntimeError):
    pass


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing("wrk is not installed: `apt-get install -y wrk` (make bench does it where it may)")
    return path


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.MULTILINE))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non2xx.group(1)) if non2xx else 0
    return WrkResult(
        rps=rps,
        p50_ms=_ms(pct["50"]),
        p90_ms=_ms(pct["90"]),
        p99_ms=_ms(pct["99"]),
        requests=requests,
        errors=errors,
        raw=output,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    url: str,
    *,
    duration: float,
    connections: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    threads: int = 1,
    pid: int | None = None,
) -> WrkResult:
    """One wrk run of `duration` seconds against `url`; with `pid`, that server's CPU per request.

    CPU per request hardly moves with the load other work puts on the machine, where requests per
    second move by a factor of two: it is the steadier figure for comparing two versions of a path.
    """
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    before = cpu_seconds(pid) if pid is not None else 0.0
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    result = parse(done.stdout)
    if pid is not None and result.requests:
        result.cpu_us = (cpu_seconds(pid) - before) / result.requests * 1e6
    return result

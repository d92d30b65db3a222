"""Load from a separate process with wrk (Debian's package), and its figures parsed.

wrk is a closed-loop generator: 32 connections each send the next request when the previous one
answers. That measures throughput at saturation, and the latencies are those a client with 32
requests in flight sees at that load. It does not correct for coordinated omission, so the
latencies of a stalled server look better than an open-loop generator would show; the figures that
matter here (throughput ratios in one run, p99 at c32) are what the targets are stated in. The
event-latency figure, which needs a fixed arrival rate, comes from an open-loop Python sender
instead (`events.py`).
"""

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


def run(
    url: str,
    *,
    duration: float,
    connections: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    threads: int = 1,
) -> WrkResult:
    """One wrk run of `duration` seconds against `url`."""
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
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    return parse(done.stdout)

"""The dated Markdown report (and its JSON twin, which `compare` reads)."""

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from cppcc_bench.harness import Comparison
from cppcc_common.clock import SystemClock

PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "sqlalchemy",
    "asyncpg",
    "httpx",
    "nats-py",
    "pyjwt",
)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version.strip(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _target(c: Comparison) -> str:
    parts = []
    if c.target_ratio is not None:
        parts.append(f"≥ {c.target_ratio:.0%} of baseline")
    if c.target_rps is not None:
        parts.append(f"≥ {c.target_rps:,.0f}/s")
    if c.target_p99_ms is not None:
        parts.append(f"p99 ≤ {c.target_p99_ms:g} ms")
    return ", ".join(parts) or "–"


def to_json(comparisons: list[Comparison], facts: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "when": SystemClock().now().isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": settings,
        "facts": facts,
        "figures": [
            {
                "name": c.name,
                "measured": c.figure.name,
                "values": c.figure.values,
                "median": c.figure.median,
                "p99_ms": c.figure.p99_ms,
                "errors": c.figure.errors,
                "baseline": c.baseline.name if c.baseline else None,
                "baseline_values": c.baseline.values if c.baseline else None,
                "baseline_median": c.baseline.median if c.baseline else None,
                "baseline_p99_ms": c.baseline.p99_ms if c.baseline else [],
                "ratio": c.ratio,
                "cpu_us": c.figure.cpu_us,
                "baseline_cpu_us": c.baseline.cpu_us if c.baseline else [],
                "target": _target(c),
                "met": c.met,
                "note": c.note,
            }
            for c in comparisons
        ],
    }


def markdown(data: dict[str, Any], profile: str | None) -> str:
    m, s, f = data["machine"], data["settings"], data["facts"]
    lines = [
        f"# Benchmark {data['when']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']}.  ",
        f"Load: {m['wrk']}, `-t1 -c{s['connections']}`, {s['duration']} s per run, {s['runs']} runs per figure,"
        " each run followed by its baseline's run. One uvicorn worker per process.  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".",
        "",
        "| figure | measured (median, range) | p99 ms (median) | baseline (median, range) | ratio | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for fig in data["figures"]:
        values = fig["values"]
        base = fig["baseline_values"]
        p99 = sorted(fig["p99_ms"])[len(fig["p99_ms"]) // 2] if fig["p99_ms"] else None
        ratio = "–" if fig["ratio"] is None else f"{fig['ratio']:.0%}"
        verdict = {True: "met", False: "**not met**", None: ""}[fig["met"]]
        lines.append(
            f"| {fig['name']} | {_fmt(fig['median'])}/s ({_fmt(min(values))}–{_fmt(max(values))})"
            f" | {_fmt(p99, 1)} | "
            + (
                f"{fig['baseline']}: {_fmt(fig['baseline_median'])}/s ({_fmt(min(base))}–{_fmt(max(base))})"
                + (
                    f", p99 {_fmt(_median(fig['baseline_p99_ms']), 1)} ms"
                    if fig.get("baseline_p99_ms")
                    else ""
                )
                if base
                else "–"
            )
            + f" | {ratio} | {fig['target']} | {verdict}"
            + (f" ({fig['note']})" if fig["note"] else "")
            + (f" errors: {fig['errors']}" if fig["errors"] else "")
            + " |"
        )
    lines += _cpu_table(data["figures"])
    if f.get("submit_cpu_us"):
        lines += [
            "",
            "Where the machine's CPU went during the submit runs, per submission (every process of the"
            ' stack reacts to the event a submission publishes; "other" is wrk and the kernel):',
            "",
            *_split_table(f["submit_cpu_us"]),
        ]
    if s.get("only"):
        lines += ["", f"Only these groups of figures were measured: {', '.join(s['only'])}."]
    ev = f.get("event_latency")
    if ev is not None:
        lines += [
            "",
            "## Event latency, commit to effect (target p50 ≤ 10 ms, p99 ≤ 50 ms at 200 events/s)",
            "",
        ]
        drained = f.get("event_backlog_drained_s")
        if drained is not None:
            lines += [
                f"Measured once the events of the figures above were handled (waited {drained:.1f} s for"
                " notify-svc's consumers to drain their backlog).",
                "",
            ]
        lines += [_event_line(ev)]
        light = f.get("event_latency_light")
        if light is not None:
            lines += [
                "",
                "The same at a rate the submit path sustains with room to spare (the relay, NATS and the"
                " consumer without a queue of submissions in front of them):",
                "",
                _event_line(light),
            ]
    lines += [
        "",
        "## Footprint (target: each service idles under 150 MB RSS; ready within 30 s once installed)",
        "",
        f"Ready in {f['ready_seconds'] + f['demo_seconds']:.1f} s from a fresh data folder, as `make run`"
        f" starts: the stack (initdb, NATS, migrations, five processes, the roster loading beside them)"
        f" in {f['ready_seconds']:.1f} s, the demo's stories in {f['demo_seconds']:.1f} s more; then the"
        f" statistics' template proposals in {f.get('statistics_seconds', 0):.1f} s (in the background"
        " under `make run`).",
        "",
        "| process | idle RSS MB |",
        "|---|---|",
    ]
    lines += [f"| {name} | {rss:.0f} |" for name, rss in f["idle_rss_mb"].items()]
    if profile:
        lines += [
            "",
            f"## Profile of the slowest path: {f.get('profiled', '')}",
            "",
            "```",
            profile.rstrip(),
            "```",
        ]
    return "\n".join(lines) + "\n"


def _split_table(split: dict[str, float]) -> list[str]:
    parts = sorted(split.items(), key=lambda item: -item[1])
    total = sum(split.values())
    return [
        "| " + " | ".join(name for name, _ in parts) + " | all |",
        "|" + "---|" * (len(parts) + 1),
        "| " + " | ".join(f"{us:,.0f} µs" for _, us in parts) + f" | {total:,.0f} µs (a ceiling of"
        f" {(os.cpu_count() or 1) * 1e6 / total:,.0f}/s on {os.cpu_count()} cores)" + " |"
        if total
        else "| – |",
    ]


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _event_line(ev: dict[str, Any]) -> str:
    return (
        f"{ev.get('events', 0)} submissions at {ev.get('rate', 0):.0f}/s (open loop):"
        f" p50 {_fmt(ev.get('p50_ms'), 1)} ms, p99 {_fmt(ev.get('p99_ms'), 1)} ms,"
        f" max {_fmt(ev.get('max_ms'), 1)} ms; {ev.get('missing', 0)} not delivered within the wait,"
        f" {ev.get('failures', 0)} refused submissions."
        + (
            f" Split (p50): submitting request's start → the relay's round {_fmt(ev['to_relay_p50_ms'], 1)} ms,"
            f" the relay's round → inbox item {_fmt(ev['relay_to_inbox_p50_ms'], 1)} ms;"
            f" the submitting request answered in {_fmt(ev.get('submit_p50_ms'), 1)} ms (p50, at the sender)."
            if ev.get("to_relay_p50_ms") is not None and ev.get("relay_to_inbox_p50_ms") is not None
            else ""
        )
        + (
            " CPU per event, until its inbox item: "
            + ", ".join(
                f"{name} {us:,.0f} µs" for name, us in sorted(ev["cpu_us"].items(), key=lambda i: -i[1])
            )
            + "."
            if ev.get("cpu_us")
            else ""
        )
    )


def _cpu_table(figures: list[dict[str, Any]]) -> list[str]:
    """The server's CPU time per request beside the baseline's: steadier than req/s on a busy machine."""
    rows = [f for f in figures if f.get("cpu_us")]
    if not rows:
        return []
    lines = [
        "",
        "CPU time of the server process per request (median of the runs; it moves far less than req/s"
        " when other work loads the machine). Ratio: the baseline's CPU per request over the figure's,"
        " the share of the baseline's throughput the path would reach if the CPU were the limit.",
        "",
        "| figure | CPU µs/request | baseline CPU µs/request | ratio |",
        "|---|---|---|---|",
    ]
    for fig in rows:
        cpu = _median(fig["cpu_us"])
        if not fig.get("baseline_cpu_us"):  # a write: no baseline; 1 s / its CPU is the ceiling
            lines.append(f"| {fig['name']} | {cpu:,.0f} | – (ceiling {1e6 / cpu:,.0f}/s) | – |")
            continue
        base = _median(fig["baseline_cpu_us"])
        lines.append(f"| {fig['name']} | {cpu:,.0f} | {base:,.0f} | {base / cpu:.0%} |")
    return lines


def compare(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Two reports side by side: each figure's median in both, and the change."""
    lines = [
        f"| figure | {a['when']} | {b['when']} | change |",
        "|---|---|---|---|",
    ]
    before = {fig["name"]: fig for fig in a["figures"]}
    for fig in b["figures"]:
        old = before.get(fig["name"])
        if old is None:
            lines.append(f"| {fig['name']} | – | {_fmt(fig['median'])}/s | new |")
            continue
        change = fig["median"] / old["median"] - 1 if old["median"] else 0.0
        ratios = ""
        if fig["ratio"] is not None and old["ratio"] is not None:
            ratios = f" (of baseline: {old['ratio']:.0%} → {fig['ratio']:.0%})"
        lines.append(
            f"| {fig['name']} | {_fmt(old['median'])}/s | {_fmt(fig['median'])}/s | {change:+.0%}{ratios} |"
        )
    return "\n".join(lines) + "\n"


def write(folder: Path, data: dict[str, Any], profile: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = data["facts"]["stamp"]
    path = folder / f"{stamp}.md"
    path.write_text(markdown(data, profile), encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
    return path

"""`python -m cppcc_bench [run] [--duration S] [--runs N] [--connections C]` writes a report under
docs/bench/; `python -m cppcc_bench compare A.json B.json` sets two reports side by side."""

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from cppcc_bench import lua, report
from cppcc_bench.harness import GROUPS, Bench


def _load(path: Path) -> Any:
    return json.loads(path.with_suffix(".json").read_text())


def _groups(value: str) -> frozenset[str]:
    chosen = frozenset(v.strip() for v in value.split(",") if v.strip())
    if not chosen or chosen - GROUPS:
        raise argparse.ArgumentTypeError(f"groups are {', '.join(sorted(GROUPS))}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cppcc_bench")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start the stack, load it, write a report (the default)")
    for p in (parser, run):
        p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
        p.add_argument("--runs", type=int, default=3, help="runs per figure")
        p.add_argument("--connections", type=int, default=32)
        p.add_argument("--proposals", type=int, default=300, help="proposals submitted before measuring")
        p.add_argument("--data-dir", type=Path, default=Path(".data/bench"))
        p.add_argument("--out", type=Path, default=Path("docs/bench"))
        p.add_argument(
            "--only",
            type=_groups,
            default=GROUPS,
            help=f"comma-separated groups of figures to measure (default all: {','.join(sorted(GROUPS))})",
        )
        p.add_argument(
            "--profile",
            default=None,
            help="part of the name of the figure to profile (default: the one furthest from its target);"
            " 'none' skips the profile",
        )
    cmp_ = sub.add_parser("compare", help="two reports side by side")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "compare":
        print(report.compare(_load(args.before), _load(args.after)))
        return 0
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    bench = Bench(
        args.data_dir, duration=args.duration, runs=args.runs, connections=args.connections, only=args.only
    )
    print("启动 / starting the stack and the baselines …", file=sys.stderr)
    try:
        bench.start()
        print("装载数据 / loading data …", file=sys.stderr)
        bench.load(args.proposals)
        print("测量 / measuring …", file=sys.stderr)
        comparisons = bench.run_all()
        # The path furthest from its target is profiled: the lowest ratio among figures that miss
        # one, else the lowest ratio of all.
        ratios = [c for c in comparisons if c.ratio is not None]
        chosen = [c for c in comparisons if args.profile and args.profile in c.name]
        profile = None
        if args.profile != "none" and (chosen or ratios):
            slowest = (
                chosen or [min([c for c in ratios if c.met is False] or ratios, key=lambda c: c.ratio or 1.0)]
            )[0]
            bench.facts["profiled"] = f"{slowest.name} ({slowest.figure.name})"
            profile = _profile(bench, slowest.name, args.out)
        settings = {"duration": args.duration, "runs": args.runs, "connections": args.connections}
        if args.only != GROUPS:
            settings["only"] = sorted(args.only)
        data = report.to_json(comparisons, bench.facts, settings)
        path = report.write(args.out, data, profile)
    finally:
        bench.stop()
    print(path.read_text())
    print(f"report: {path}", file=sys.stderr)
    return 0


def _profile(bench: Bench, name: str, out: Path) -> str | None:
    """Profiles the service behind the slowest figure under the same load."""
    assert bench.stack is not None
    staff = {"Authorization": f"Bearer {bench.token('13800000002')}"}
    member = {"Authorization": f"Bearer {bench.token('13800000001')}"}
    urls, facts = bench.urls, bench.facts
    targets = [  # (part of the figure's name, process, url, headers), first match wins
        ("submit", "proposal", urls["proposal"], member),
        ("create a draft", "proposal", f"{urls['proposal']}/api/v1/proposals", member),
        (
            "fast upstream",
            "gateway_bare",
            f"{urls['gateway_bare']}/api/v1/inbox/unread-count?person={facts['staff_id']}",
            staff,
        ),
        ("gateway", "gateway", f"{urls['gateway']}/api/v1/inbox/unread-count", staff),
        ("unread count", "notify", f"{urls['notify']}/api/v1/inbox/unread-count", staff),
        ("inbox page", "notify", f"{urls['notify']}/api/v1/inbox", staff),
        ("by id", "proposal", f"{urls['proposal']}/api/v1/proposals/{facts['proposal_id']}", member),
        ("healthz", "proposal", f"{urls['proposal']}/healthz", {}),
    ]
    _, process, url, headers = next((t for t in targets if t[0] in name), targets[2])
    proc = bench.extra.get(process) or bench.stack.processes[process]
    pid = proc.pid
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.split(". ", 1)[-1]).strip("-")
    prefix = out / "profiles" / f"{bench.facts['stamp']}-{slug}"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    script = None
    if process == "proposal" and url == urls["proposal"]:  # submit: each request needs a fresh draft
        drafts = bench.drafts(int(bench.duration * 4000))
        script = lua.submit(bench.work, f"profile-{uuid.uuid4().hex[:6]}", drafts)
    elif url.endswith("/api/v1/proposals"):  # create a draft: the POST and its body
        script = lua.create_draft(bench.work)
    text = bench.profile(url, headers, pid, prefix, script)
    return text.read_text() if text else None


if __name__ == "__main__":
    sys.exit(main())

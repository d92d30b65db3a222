"""The benchmark's own arithmetic: wrk's output read right, reports compared right."""

import argparse

import pytest

from cppcc_bench import report, wrk
from cppcc_bench.__main__ import _groups
from cppcc_bench.harness import Comparison, Figure
from cppcc_bench.profile import summarize

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8004/api/v1/inbox/unread-count
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.20ms    2.10ms  40.00ms   90.00%
    Req/Sec     3.14k   100.00     3.30k    70.00%
  Latency Distribution
     50%    9.80ms
     75%   11.00ms
     90%   13.50ms
     99%  650.00us
  31400 requests in 10.00s, 5.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   3140.00
Transfer/sec:    512.00KB
"""


def test_wrk_output_is_read_with_its_units_and_every_error_counted() -> None:
    result = wrk.parse(WRK_OUTPUT)
    assert result.rps == 3140.0
    assert result.requests == 31400
    assert (result.p50_ms, result.p90_ms) == (9.8, 13.5)
    assert result.p99_ms == pytest.approx(0.65)
    assert result.errors == 10  # 2 read + 1 timeout + 7 non-2xx


def test_a_target_is_met_only_when_every_part_of_it_holds() -> None:
    fast = Figure("svc", [600.0, 500.0, 700.0], "req/s", p99_ms=[10.0, 30.0, 12.0])
    base = Figure("bare", [1000.0, 1000.0, 1000.0], "req/s")
    assert Comparison("read", fast, base, target_ratio=0.5, target_p99_ms=20.0).met is True
    assert Comparison("read", fast, base, target_ratio=0.7).met is False
    assert Comparison("read", fast, base, target_p99_ms=11.0).met is False
    assert Comparison("read", fast, None).met is None


def test_two_reports_compare_figure_by_figure() -> None:
    before = {"when": "a", "figures": [{"name": "x", "median": 100.0, "ratio": 0.1}]}
    after = {
        "when": "b",
        "figures": [
            {"name": "x", "median": 150.0, "ratio": 0.15},
            {"name": "y", "median": 1.0, "ratio": None},
        ],
    }
    text = report.compare(before, after)
    assert "| x | 100/s | 150/s | +50% (of baseline: 10% → 15%) |" in text
    assert "| y | – | 1/s | new |" in text


def test_profile_summary_adds_up_own_time_per_function() -> None:
    collapsed = "main (app.py:1);handle (routing.py:10);verify (auth.py:5) 30\nmain (app.py:1);handle (routing.py:12) 10\n"
    text = summarize(collapsed)
    assert "samples: 40" in text
    assert "75.0 %  verify (auth.py)" in text
    assert "100.0 %  handle (routing.py)" in text


def test_cpu_per_request_is_reported_beside_the_baseline_cpu() -> None:
    fig = Figure("svc", [500.0], "req/s", p99_ms=[10.0], cpu_us=[400.0])
    base = Figure("bare", [1000.0], "req/s", cpu_us=[100.0])
    data = report.to_json([Comparison("read", fig, base, 0.5)], {}, {})
    assert report._cpu_table(data["figures"])[-1] == "| read | 400 | 100 | 25% |"
    # A write has no baseline: its CPU per request and the ceiling that implies (1 s / 400 µs).
    write = report._cpu_table(report.to_json([Comparison("w", fig, None)], {}, {})["figures"])
    assert write[-1] == "| w | 400 | – (ceiling 2,500/s) | – |"
    assert (
        report._cpu_table(
            report.to_json([Comparison("w", Figure("w", [1.0], "req/s"), None)], {}, {})["figures"]
        )
        == []
    )


def test_only_some_groups_of_figures_may_be_chosen() -> None:
    assert _groups("hot, healthz") == {"hot", "healthz"}
    for wrong in ("", "hot,nope"):
        with pytest.raises(argparse.ArgumentTypeError):
            _groups(wrong)

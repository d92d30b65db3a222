"""Fuzz the merged OpenAPI document through the gateway (DESIGN.md §11) with schemathesis, as every
kind of caller: anonymous, member, unit user, partner client, staff and administrator.

Each run uses all four phases (examples, coverage, fuzzing, stateful) and the checks
`not_a_server_error`, `status_code_conformance`, `content_type_conformance`,
`response_schema_conformance` and `response_headers_conformance`, with a bounded number of
examples and a random seed that is printed (set FUZZ_SEED to replay a run). It gets a stack of its
own, so whatever the stateful phase changes never reaches the other end-to-end tests. When a
service answers 5xx, its log's traceback is part of the failure message.

Each kind of caller fuzzes the operations its roles and scopes reach (the document's
`x-permissions`) and the public ones, each once (the staff of the four scopes share theirs): an operation that refuses the caller answers 401/403 from its permission before
reading any input (every service's authorization matrix holds that), so fuzzing its input as that
caller would only spend time.
"""

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt
import pytest
from e2e_support import demo_stack

from cppcc_devstack.demo import login_as, partner_credentials, partner_token
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
# How many accounts' runs go at once (each is a schemathesis process against the one fuzz stack).
CONCURRENCY = int(os.environ.get("FUZZ_CONCURRENCY", "3"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
# Operations that would lock the demo accounts out or end the fuzzing caller's own session; their
# input handling is covered by member-svc's own tests (test_identity*.py).
EXCLUDED_PATHS = ("/api/v1/auth/password", "/api/v1/auth/password/reset", "/api/v1/inbox/stream")
# The inbox's live stream never ends by itself (every request would run into the fuzzer's timeout);
# its input handling is covered by notify-svc/tests/test_inbox_stream.py.

# Who fuzzes: every kind of caller, by the demo account (cppcc_devstack.demo.DEMO_ACCOUNTS) or
# credentials it signs in with; staff of each scope are fuzzed one after another under "staff".
CALLERS = {
    "anonymous": (),
    "member": ("member",),
    "unit_user": ("unit_user",),
    "partner": ("partner",),
    "staff": ("staff_proposals", "staff_consultation", "staff_members", "staff_opinions"),
    "leader": ("leader",),
    "admin": ("admin",),
}
# Every account that fuzzes (None: anonymous).
ACCOUNTS: list[str | None] = [a for group in CALLERS.values() for a in group or (None,)]


@pytest.fixture(scope="module")
def fuzz_stack(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "GATEWAY_REQUESTS_PER_SECOND_PER_PRINCIPAL": "1000",
        "GATEWAY_REQUESTS_BURST_PER_PRINCIPAL": "2000",
        # The callers sign in once, before any fuzzing (see `tokens`): their tokens outlast the run.
        "MEMBER_ACCESS_TOKEN_MINUTES": "60",
        # The demo's seeding and the callers' sign-ins share one address (the login routes are
        # fuzzed after every caller signed in).
        "GATEWAY_LOGIN_PER_MINUTE_PER_IP": "60",
    }
    with demo_stack(pg_server_url, tmp_path_factory.mktemp("fuzz-stack"), "fuzz", env) as stack:
        yield stack


@pytest.fixture(scope="module")
def seed_value() -> int:
    value = int(os.environ.get("FUZZ_SEED") or random.randrange(1, 2**31))
    print(f"\nschemathesis seed: {value} (FUZZ_SEED={value} replays it)")
    return value


def _token_for(account: str, stack: Stack, client: httpx.Client) -> str:
    if account == "partner":
        return partner_token(client, partner_credentials(stack))
    return login_as(client, account)


def _unhandled_errors(stack: Stack) -> str:
    """What the services logged for unexpected errors: the path and the exception's last line."""
    found: dict[str, str] = {}
    for log in sorted(stack.log_dir.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if '"unhandled error"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            last = (entry.get("exception") or "").strip().splitlines()[-1:] or [""]
            found.setdefault(f"{log.stem}: {last[0][:300]}", f"{entry.get('path', '')!r}")
    return "\n".join(f"{error} (e.g. {path})" for error, path in found.items())


@pytest.fixture(scope="module")
def tokens(fuzz_stack: Stack) -> dict[str, str]:
    """Every caller signs in before any fuzzing: the fuzzed login routes spend this address's login
    budget (and may lock an account out), which must not decide whether a later caller can sign in."""
    accounts = [account for account in ACCOUNTS if account]
    with httpx.Client(base_url=fuzz_stack.gateway_url, timeout=15) as client:
        return {account: _token_for(account, fuzz_stack, client) for account in accounts}


@pytest.fixture(scope="module")
def documents(fuzz_stack: Stack, tokens: dict[str, str]) -> dict[str | None, dict]:
    """Each account's document: the operations it may call (`callers_document`)."""
    document = httpx.get(f"{fuzz_stack.gateway_url}/openapi.json", timeout=15).json()
    return {a: callers_document(document, tokens[a] if a else None) for a in ACCOUNTS}


@pytest.fixture(scope="module")
def runs(
    fuzz_stack: Stack,
    tokens: dict[str, str],
    documents: dict[str | None, dict],
    seed_value: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str | None, list[Future[str | None]]]]:
    """Every account's schemathesis runs, started at once, `CONCURRENCY` at a time (they wait on the
    stack more than they compute); each caller's test reads its accounts' results.

    Each kind of caller runs the examples, fuzzing and stateful phases over every operation it may
    call, once (`fuzzing_share`: the staff of the four scopes share the staff's operations); the
    coverage phase (the schema's boundaries and every kind of wrong value, deterministic and the
    costliest) runs once per operation, as one of the accounts that may call it (`coverage_share`).
    """
    folder = tmp_path_factory.mktemp("fuzz-runs")
    fuzzing, coverage = fuzzing_share(documents), coverage_share(documents)
    jobs = [(a, "examples,fuzzing,stateful", fuzzing[a]) for a in ACCOUNTS]
    jobs += [(a, "coverage", coverage[a]) for a in ACCOUNTS]
    jobs.sort(key=lambda job: len(_operations(job[2])), reverse=True)  # the longest first
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        futures: dict[str | None, list[Future[str | None]]] = {a: [] for a in ACCOUNTS}
        for account, phases, part in jobs:
            token = tokens[account] if account else None
            where = folder / f"{account or 'anonymous'}-{phases.split(',')[0]}"
            futures[account].append(pool.submit(_fuzz, fuzz_stack, token, seed_value, where, part, phases))
        yield futures


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    """(path, method, operation) of every operation of the document (not a path's shared parameters)."""
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def _keeping(document: dict, keep: Callable[[str, str, dict], bool]) -> dict:
    """The document with only the operations `keep` admits (and the paths that still have one)."""
    paths: dict[str, dict] = {}
    for path, method, operation in _operations(document):
        if keep(path, method, operation):
            shared = {k: v for k, v in document["paths"][path].items() if k == "parameters"}
            paths.setdefault(path, shared)[method] = operation
    return {**document, "paths": paths}


def coverage_share(documents: dict[str | None, dict]) -> dict[str | None, dict]:
    """Each operation to one of the accounts whose document holds it (the least loaded so far), as
    each account's own document with only its share of the operations."""
    load: dict[str | None, int] = {a: 0 for a in documents}
    owner: dict[tuple[str, str], str | None] = {}
    for account in sorted(documents, key=lambda a: len(_operations(documents[a]))):
        for path, method, _ in _operations(documents[account]):
            if (path, method) not in owner:
                holders = [a for a in documents if method in documents[a]["paths"].get(path, {})]
                owner[path, method] = min(holders, key=lambda a: load[a])
                load[owner[path, method]] += 1
    return {
        account: _keeping(own, lambda path, method, _, a=account: owner[path, method] == a)
        for account, own in documents.items()
    }


def fuzzing_share(documents: dict[str | None, dict]) -> dict[str | None, dict]:
    """Each kind of caller (`CALLERS`) fuzzes every operation one of its accounts may call, once: a
    kind of several accounts (the staff of each scope) gives each of its operations to one of them
    that may call it. Fuzzing an operation again as another staff scope repeated the same inputs
    against the same handler (1,108 runs of 264 operations, the staff's shared routes up to ten
    times); a different kind of caller, which takes other paths, still fuzzes it again."""
    shares: dict[str | None, dict] = {}
    for accounts in CALLERS.values():
        kind = list(accounts) or [None]
        shares |= coverage_share({account: documents[account] for account in kind})
    return shares


def test_each_kind_of_caller_fuzzes_each_operation_it_may_call_once(
    documents: dict[str | None, dict],
) -> None:
    shares = fuzzing_share(documents)
    for kind, accounts in CALLERS.items():
        members = list(accounts) or [None]
        fuzzed = [(p, m, a) for a in members for p, m, _ in _operations(shares[a])]
        assert len({(p, m) for p, m, _ in fuzzed}) == len(fuzzed), kind  # once each
        assert all(m in documents[a]["paths"][p] for p, m, a in fuzzed), kind  # by one who may call it
        reachable = {(p, m) for a in members for p, m, _ in _operations(documents[a])}
        assert {(p, m) for p, m, _ in fuzzed} == reachable, kind


def test_every_operation_is_covered_once_by_an_account_that_may_call_it(
    documents: dict[str | None, dict],
) -> None:
    covered = [(p, m, a) for a, share in coverage_share(documents).items() for p, m, _ in _operations(share)]
    assert len({(p, m) for p, m, _ in covered}) == len(covered)  # once each
    assert all(m in documents[a]["paths"][p] for p, m, a in covered)  # by one who may call it
    reachable = {(p, m) for d in documents.values() for p, m, _ in _operations(d)}
    assert {(p, m) for p, m, _ in covered} == reachable


@pytest.mark.parametrize("caller", list(CALLERS))
def test_no_input_makes_the_api_fail(
    caller: str, fuzz_stack: Stack, runs: dict[str | None, list["Future[str | None]"]], seed_value: int
) -> None:
    failures = []
    for account in CALLERS[caller] or (None,):
        for run in runs[account]:
            output = run.result()
            if output is not None:
                failures.append(f"as {account or 'anonymous'}:\n{output}")
    if failures:
        pytest.fail(
            f"fuzzing (seed {seed_value}) found failures:\n"
            + "\n".join(failures)
            + f"\nservice logs:\n{_unhandled_errors(fuzz_stack)}",
            pytrace=False,
        )


def admits(operation: dict[str, object], roles: set[str], scopes: set[str]) -> bool:
    """Whether the operation's declared permissions let a caller with these roles and scopes in."""
    for permission in operation.get("x-permissions", []):  # type: ignore[union-attr]
        if permission["roles"] and not roles.intersection(permission["roles"]):
            return False
        if permission["scopes"] and not scopes.intersection(permission["scopes"]):
            return False
    return True


def callers_document(document: dict, token: str | None) -> dict:
    """The merged document with only the operations the token's caller may call (anonymous: the
    public ones)."""
    claims = jwt.decode(token, options={"verify_signature": False}) if token else {}
    roles, scopes = set(claims.get("roles", [])), set(claims.get("scopes", []))
    return _keeping(
        document,
        lambda _, __, op: (token is not None or "x-permissions" not in op) and admits(op, roles, scopes),
    )


def test_the_callers_documents_keep_what_each_may_call(fuzz_stack: Stack, tokens: dict[str, str]) -> None:
    """The filter drops only what a caller is refused: a member keeps submitting a proposal and
    loses the roster import; the office keeps the import; anonymous keeps only public operations."""
    document = httpx.get(f"{fuzz_stack.gateway_url}/openapi.json", timeout=15).json()

    def kept(token: str | None) -> set[str]:
        return {
            f"{method.upper()} {path}" for path, method, _ in _operations(callers_document(document, token))
        }

    everything = kept(tokens["admin"]) | kept(tokens["member"]) | kept(tokens["staff_members"])
    assert "POST /api/v1/proposals" in kept(tokens["member"])
    assert not {op for op in kept(tokens["member"]) if "/members/imports" in op}
    assert {op for op in kept(tokens["staff_members"]) if "/members/imports" in op}
    anonymous = kept(None)
    assert anonymous and anonymous < everything
    assert all(
        "x-permissions" not in document["paths"][op.split(" ", 1)[1]][op.split(" ", 1)[0].lower()]
        for op in anonymous
    )


def _fuzz(
    stack: Stack, token: str | None, seed_value: int, report_dir: Path, document: dict, phases: str
) -> str | None:
    """One schemathesis run through the gateway; None when it passed, else what it reported."""
    if not document["paths"]:
        return None
    report_dir.mkdir(parents=True, exist_ok=True)
    schema_file = report_dir / "openapi.json"
    schema_file.write_text(json.dumps(document))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(schema_file),
        "--url",
        stack.gateway_url,
        "--phases",
        phases,
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(seed_value),
        # One worker: schemathesis' threads parse lambdas' source with `ast` concurrently, which
        # CPython 3.11 before 3.11.8 can fail ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "15",
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--report",
        "ndjson",
        "--report-dir",
        str(report_dir),
    ]
    for path in EXCLUDED_PATHS:
        command += ["--exclude-path", path]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz_hooks", "PYTHONPATH": str(HERE), "NO_COLOR": "1"}
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, cwd=report_dir.parent
    )
    if result.returncode == 0:
        return None
    out = result.stdout
    summary = out.find("SUMMARY")
    failures = out.find("FAILURES")
    return (
        (out[summary:] if summary >= 0 else "")
        + "\n"
        + (out[failures : failures + 8000] if failures >= 0 else out[-8000:])
        + result.stderr[-2000:]
    )

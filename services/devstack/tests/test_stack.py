"""The dev-stack runner's own behaviour (the full start is covered by tests/)."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from cppcc_common.clock import FakeClock
from cppcc_common.testing.servers import drop_database, free_port, free_ports
from cppcc_devstack.__main__ import uninterrupted
from cppcc_devstack.stack import SERVICES, Backoff, PortInUse, Stack


def test_a_port_in_use_is_reported_clearly_not_with_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stack = Stack(tmp_path, base_port=port - 2, nats_port=free_port())
        with pytest.raises(PortInUse) as refused:
            stack.check_ports()
    message = str(refused.value)
    assert str(port) in message and "CPPCC_BASE_PORT" in message and "端口已被占用" in message


def test_development_secrets_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    first = stack.secrets()
    assert len(first["MEMBER_KEY_ENCRYPTION_KEY"]) >= 43
    assert stack.secrets() == first
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


def _dead(stack: Stack, name: str) -> None:
    """Waits until the process has exited (it exits at once by itself)."""
    stack.processes[name].wait(10)


def test_a_dead_process_is_started_again_after_a_back_off_that_doubles_up_to_a_cap(tmp_path: Path) -> None:
    clock = FakeClock()
    said: list[str] = []
    stack = Stack(tmp_path, clock=clock, say=said.append, backoff=Backoff(cap=timedelta(seconds=8)))
    stack.log_dir.mkdir(parents=True)
    stack._spawn("crasher", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    start, restarts = clock.now(), []
    try:
        for _ in range(6):
            first = stack.processes["crasher"]
            _dead(stack, "crasher")
            stack.supervise()  # notices the death and schedules the restart
            while stack.processes["crasher"] is first:
                clock.advance(timedelta(milliseconds=500))
                stack.supervise()
            restarts.append((clock.now() - start).total_seconds())
            start = clock.now()
    finally:
        stack.stop()
    assert restarts == [1, 2, 4, 8, 8, 8]  # 1 s, 2 s, 4 s … capped
    assert "crasher exited with 3; restarting in 1s" in said[0] and "restarted crasher" in said[1]


def test_a_process_that_ran_long_enough_is_restarted_after_the_first_back_off_again(tmp_path: Path) -> None:
    clock = FakeClock()
    stack = Stack(tmp_path, clock=clock, backoff=Backoff(stable=timedelta(seconds=60)))
    stack.log_dir.mkdir(parents=True)
    stack._spawn("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    try:
        stack._watched["sleeper"].deaths = 4  # it had died often before
        clock.advance(timedelta(seconds=61))
        stack.supervise()
        assert stack._watched["sleeper"].deaths == 0
    finally:
        stack.stop()


@pytest.mark.e2e
@pytest.mark.chaos
def test_a_killed_service_is_started_again_and_answers_through_the_gateway_while_the_others_keep_serving(
    pg_server_url: str, tmp_path: Path
) -> None:
    base, said = free_ports(6), []
    stack = Stack(
        tmp_path,
        base_port=base,
        nats_port=base + 5,
        database_url=pg_server_url,
        db_prefix=f"restart_{uuid.uuid4().hex[:8]}_",
        say=said.append,
        backoff=Backoff(first=timedelta(seconds=0.5)),
    )
    try:
        stack.start()
        admin = subprocess.run(
            [sys.executable, "-m", "member_svc", "create-org", "--name", "重启市政协", "--level", "municipal"]
            + ["--admin-name", "管理员", "--admin-phone", "13700009999"],
            env=stack.env_for(SERVICES[0]),
            input="Restart@2026\n",
            capture_output=True,
            text=True,
        )
        assert admin.returncode == 0, admin.stderr
        with httpx.Client(base_url=stack.gateway_url, timeout=10) as gw:

            def login() -> httpx.Response:
                return gw.post(
                    "/api/v1/auth/login", json={"phone": "13700009999", "password": "Restart@2026"}
                )

            headers = {"Authorization": f"Bearer {login().json()['access_token']}"}
            answered = gw.get("/api/v1/proposals", headers=headers).status_code
            assert answered < 500
            others = {n: p.pid for n, p in stack.processes.items() if n != "proposal"}
            killed = stack.processes["proposal"]
            os.kill(killed.pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while stack.processes["proposal"] is killed:  # dead, waiting for its back-off
                assert login().status_code == 200  # member-svc and the gateway keep serving
                assert time.monotonic() < deadline
                time.sleep(0.05)
            while gw.get("/api/v1/proposals", headers=headers).status_code != answered:
                assert time.monotonic() < deadline, said
                time.sleep(0.1)
            assert {n: p.pid for n, p in stack.processes.items() if n != "proposal"} == others
        while not any("proposal is serving again" in line for line in said):
            assert time.monotonic() < deadline, said
            time.sleep(0.1)
        assert any("proposal exited with -9" in line for line in said), said
        # What it said while starting (make run prints it): every step, every process ready.
        assert any("migrating" in line for line in said) and sum(" ready (" in line for line in said) == 5
    finally:
        stack.stop()
        for svc in SERVICES:
            drop_database(pg_server_url, stack.database_name(svc))


def test_stopping_is_not_cut_short_by_a_second_interrupt(capsys: pytest.CaptureFixture[str]) -> None:
    """A second Ctrl-C (or `timeout`'s second SIGINT) while the runner stops would leave the services
    running without a parent: while it stops, interrupts are noted, not raised."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    finished = False
    with uninterrupted():
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handlers run between bytecodes of the main thread
        finished = True
    assert finished
    assert "still stopping" in capsys.readouterr().err
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before

"""The dev-stack runner's own behaviour (the full start is covered by tests/)."""

import socket
from pathlib import Path

import pytest

from cppcc_common.testing.servers import free_port
from cppcc_devstack.stack import PortInUse, Stack


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

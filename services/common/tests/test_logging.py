"""JSON log lines: the access line written directly is the line the logger would write."""

import json
import logging
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.logging import AccessLog, JsonFormatter, configure_logging, request_id_var, trace_id_var


@given(created=st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_log_times_are_the_iso_times_of_the_records(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert JsonFormatter("svc")._time(created) == expected


fields = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "POST"]),
        "path": st.text(max_size=40),
        "client": st.none() | st.ip_addresses().map(str),
        "status": st.integers(100, 599),
        "duration_ms": st.floats(0, 1e5, allow_nan=False),
    }
)


@given(entry=fields, request_id=st.none() | st.text(max_size=20))
def test_the_access_line_written_directly_is_the_line_the_logger_would_write(
    entry: dict[str, object], request_id: str | None
) -> None:
    formatter = JsonFormatter("svc")
    token = request_id_var.set(request_id)
    try:
        record = logging.makeLogRecord(
            {"name": "cppcc.access", "msg": "request", "levelname": "INFO", **entry}
        )
        direct = formatter.line(record.created, "INFO", "cppcc.access", "request", entry)
        assert direct == formatter.format(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(direct)
    assert (line["message"], line["logger"], line["service"]) == ("request", "cppcc.access", "svc")
    assert {k: line[k] for k in entry} == entry
    assert line.get("request_id") == request_id


def test_the_access_line_goes_through_the_logger_where_logging_is_not_ours(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("svc", "INFO")
    access = AccessLog()
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    token = trace_id_var.set("t" * 32)
    try:
        access.write({"method": "GET", "path": "/x", "status": 200})  # ours: written directly
        logging.getLogger("cppcc.access").addHandler(keep := Keep())
        access.write({"method": "GET", "path": "/y", "status": 201})  # a handler of its own: the logger
        logging.getLogger("cppcc.access").removeHandler(keep)
    finally:
        trace_id_var.reset(token)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["path"], e["status"], e["trace_id"]) for e in lines] == [
        ("/x", 200, "t" * 32),
        ("/y", 201, "t" * 32),
    ]
    assert [(r.getMessage(), r.__dict__["path"]) for r in seen] == [("request", "/y")]
    logging.getLogger().setLevel("WARNING")
    try:
        assert not access.enabled()
    finally:
        logging.getLogger().setLevel("INFO")


def test_uvicorn_neither_writes_nor_prepares_an_access_line_of_its_own() -> None:
    """uvicorn formats its access line's fields whenever its logger has a handler to reach (ours
    writes the line, with the request id): after configuring, it has none."""
    configure_logging("svc", "INFO")
    assert not logging.getLogger("uvicorn.access").hasHandlers()
    assert logging.getLogger("uvicorn.error").hasHandlers()

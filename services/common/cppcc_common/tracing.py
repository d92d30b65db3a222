"""W3C trace context, once: which `traceparent` a request keeps, and the trace a change continues.

Pure (no framework, no I/O): the gateway's and the services' edge middleware and the change
context (`cppcc_common.change`) use the same rule, so a trace the edge kept is the trace the
events of the change carry.
"""

import re
import secrets

TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id a traceparent carries, or None for a missing or malformed one."""
    match = TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def new_traceparent(trace_id: str | None = None) -> str:
    """A traceparent for a new span: a child of `trace_id`, or the root of a new trace."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def continue_trace(traceparent: str | None) -> str:
    """`traceparent` if it is well formed, else the root of a new trace."""
    return traceparent if traceparent is not None and trace_id_of(traceparent) else new_traceparent()

"""One trace-context rule for the edge and the change context (cppcc_common.tracing)."""

from hypothesis import given
from hypothesis import strategies as st

from cppcc_common.tracing import TRACEPARENT, continue_trace, trace_id_of

_HEX = "0123456789abcdef"
valid = st.builds(
    lambda v, t, s, f: f"{v}-{t}-{s}-{f}",
    st.text(_HEX, min_size=2, max_size=2),
    st.text(_HEX, min_size=32, max_size=32),
    st.text(_HEX, min_size=16, max_size=16),
    st.text(_HEX, min_size=2, max_size=2),
)


@given(valid)
def test_a_well_formed_traceparent_of_any_version_is_continued_as_it_came(traceparent: str) -> None:
    """The edge keeps it and a change continues it: the same trace id end to end (the change
    context once accepted only version 00 and silently started a new trace for the others)."""
    assert continue_trace(traceparent) == traceparent
    assert trace_id_of(traceparent) == traceparent[3:35]


@given(st.one_of(st.none(), st.text(), valid.map(lambda t: t.upper()), valid.map(lambda t: t + " ")))
def test_anything_else_starts_a_new_well_formed_trace(traceparent: str | None) -> None:
    continued = continue_trace(traceparent)
    assert TRACEPARENT.match(continued)
    assert continue_trace(continued) == continued
    if traceparent is not None and TRACEPARENT.match(traceparent):
        assert continued == traceparent

"""No cursor a client can forge is a 5xx: out-of-range, naive or malformed times and ids are 422
(notify-svc takes no request bodies; its only client text is the cursor) (issue 6)."""

import base64
import json
import uuid
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppcc_common.testing.hostile import BAD_DATETIMES
from cppcc_common.testing.tokens import TestIssuer

HYPOTHESIS = settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _cursor(at: Any, id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, id]).encode()).decode().rstrip("=")


@HYPOTHESIS
@given(at=BAD_DATETIMES, id=st.sampled_from([str(uuid.uuid4()), 5, None, ["x"]]))
async def test_out_of_range_naive_or_malformed_cursors_are_422(
    client: httpx.AsyncClient, issuer: TestIssuer, at: str, id: Any
) -> None:
    r = await client.get("/api/v1/inbox", params={"cursor": _cursor(at, id)}, headers=issuer.headers())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text

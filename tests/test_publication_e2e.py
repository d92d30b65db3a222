"""The public reads of published proposals (rule 20) end to end: through the gateway, with no token,
into proposal-svc; what is not published is 404 there, and every other proposal path still needs a
token."""

import uuid
from typing import Any

import pytest
from e2e_support import gateway_client

from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Any:
    with gateway_client(stack) as client:
        yield client


def test_the_public_reads_published_proposals_through_the_gateway_without_a_token(gw: Any) -> None:
    listed = gw.get("/api/v1/proposals/published", params={"org_id": str(uuid.uuid4())})
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [], "next_cursor": None}
    unpublished = gw.get(f"/api/v1/proposals/published/{uuid.uuid4()}")
    assert unpublished.status_code == 404
    assert unpublished.json()["code"] == "publication.not_found"
    assert unpublished.headers["content-type"].startswith("application/problem+json")
    assert gw.get(f"/api/v1/proposals/{uuid.uuid4()}").status_code == 401
    assert gw.get(f"/api/v1/proposals/{uuid.uuid4()}/publication").status_code == 401

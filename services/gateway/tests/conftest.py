"""Fixtures of the gateway's tests: one echo upstream process and one gateway per module."""

from collections.abc import AsyncIterator, Iterator

import pytest
from gateway_support import Upstream, echo_upstream, running_gateway, settings_for

from cppcc_common.testing.tokens import TestIssuer


@pytest.fixture(scope="module")
def upstream(issuer: TestIssuer) -> Iterator[Upstream]:
    with echo_upstream(issuer) as up:
        yield up


@pytest.fixture(scope="module")
async def gateway(upstream: Upstream) -> AsyncIterator[str]:
    async with running_gateway(settings_for(upstream.url)) as url:
        yield url

"""Helpers of the end-to-end tests."""

import itertools
from typing import Any

import httpx

from cppcc_devstack.stack import Stack

# The e2e stack's JWKS cache time in every process (production: 300 s).
JWKS_CACHE_SECONDS = 3

_client_numbers = itertools.count(1)


def gateway_client(stack: Stack, **kwargs: Any) -> httpx.Client:
    """A client of the gateway with an address of its own, as each phone behind the ingress has.

    The test process sits on 127.0.0.1, which the e2e gateway trusts as its ingress, so the
    `X-Forwarded-For` it sends names the client: the per-address login limit one test spends
    is not another's (test_client_addresses.py shows an untrusted peer cannot do this).
    """
    n = next(_client_numbers)
    headers = {"X-Forwarded-For": f"198.18.{n // 250}.{n % 250 + 1}", **kwargs.pop("headers", {})}
    return httpx.Client(
        base_url=stack.gateway_url, headers=headers, timeout=kwargs.pop("timeout", 15.0), **kwargs
    )

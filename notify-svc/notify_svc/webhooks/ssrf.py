"""SSRF protection at connect time: names are resolved, then private, loopback, link-local,
multicast, reserved and unspecified addresses are refused unless an operator allow-listed them."""

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Lookup = Callable[[str, int, socket.AddressFamily], Awaitable[list[ResolveResult]]]


class AddressRefused(OSError):
    """The address a webhook would connect to is not public and not allow-listed."""


def networks(cidrs: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def forbidden(address: IPAddress) -> bool:
    """Whether an address is not a public one (IPv4-mapped IPv6 judged as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_address(host: str, allow: Sequence[Network]) -> None:
    """Raises AddressRefused unless `host` (an IP address) is public or allow-listed."""
    address = ipaddress.ip_address(host.split("%", 1)[0])
    if forbidden(address) and not any(address in n for n in allow):
        raise AddressRefused(f"refused address {address}")


def literal_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class GuardedResolver(AbstractResolver):
    """Resolves, then refuses the whole name if any of its addresses is forbidden."""

    def __init__(self, allow: Sequence[Network], lookup: Lookup | None = None) -> None:
        self.allow = list(allow)
        self._default: ThreadedResolver | None = None
        self._lookup = lookup

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._lookup is not None:
            results = await self._lookup(host, port, family)
        else:
            self._default = self._default or ThreadedResolver()
            results = await self._default.resolve(host, port, family)
        for result in results:
            check_address(result["host"], self.allow)
        return results

    async def close(self) -> None:
        if self._default is not None:
            await self._default.close()


def result(host: str, address: str, port: int) -> ResolveResult:
    """A resolver answer (tests inject lookups that answer these)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    answer: Any = {"hostname": host, "host": address, "port": port, "family": family, "proto": 0, "flags": 0}
    return answer  # type: ignore[no-any-return]

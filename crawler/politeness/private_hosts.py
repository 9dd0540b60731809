"""Safety: refuse URLs whose host resolves to any address that is not globally routable.

A crawler that follows links written by strangers must not be steerable into the user's
own network (routers, admin pages, cloud metadata services). Off with
``ALLOW_PRIVATE_HOSTS = True`` (the tests and the demo, which run on loopback).

Limit: the address is checked when the request is about to be sent; a DNS server that
answers differently a moment later (DNS rebinding) is not caught.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.httpobj import urlparse_cached

from crawler.politeness.config import PolitenessConfig
from crawler.politeness.policy_files import is_policy_file
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["PrivateHostsMiddleware", "embedded_ipv4", "is_private_address", "resolve"]

logger = logging.getLogger(__name__)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_COMPATIBLE = ipaddress.IPv6Network("::/96")
"""IPv4-compatible (``::a.b.c.d``, deprecated by RFC 4291 but still routed by some stacks)."""
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
"""IPv4-translated (``::ffff:0:a.b.c.d``, RFC 2765)."""
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""The well-known NAT64 prefix (RFC 6052): the IPv4 address is the last 32 bits."""
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
"""Local-use NAT64 (RFC 8215), with any RFC 6052 prefix length from 48 to 96 inside it."""
_RFC6052_LENGTHS = (48, 56, 64, 96)


def _low32(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _rfc6052_readings(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses ``ip`` may carry under a local-use NAT64 prefix of unknown length.

    RFC 6052 (2.2) puts the address right after the prefix, skipping bits 64-71 (the "u"
    octet, zero), and sets the bits after it to zero. A length is a possible reading only
    when those zeros are there; /96 (the last 32 bits) always is. Every possible reading is
    judged, so no choice of prefix length can smuggle a private address past the guard.
    """
    value = int(ip)
    readings = [_low32(ip)]
    if (value >> 56) & 0xFF:  # the u octet: not RFC 6052 but at /96
        return readings
    # the 120 bits that hold prefix, address and suffix: the u octet taken out
    bits = ((value >> 64) << 56) | (value & ((1 << 56) - 1))
    for length in _RFC6052_LENGTHS[:-1]:
        after = 120 - length - 32  # the suffix's width
        if bits & ((1 << after) - 1) == 0:
            readings.append(ipaddress.IPv4Address((bits >> after) & 0xFFFFFFFF))
    return readings


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches, by every form that embeds one:
    IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``, IPv4-translated, NAT64
    (``64:ff9b::/96``, ``64:ff9b:1::/48``), 6to4 ``2002::/16`` and Teredo ``2001::/32``
    (its client's address, stored inverted in the last 32 bits)."""
    found: list[ipaddress.IPv4Address | None] = [ip.ipv4_mapped, ip.sixtofour]
    if ip.teredo is not None:
        found.append(ip.teredo[1])
    if ip in _COMPATIBLE or ip in _TRANSLATED or ip in _NAT64:
        found.append(_low32(ip))
    if ip in _NAT64_LOCAL:
        found += _rfc6052_readings(ip)
    return [address for address in found if address is not None]


def is_private_address(address: str) -> bool:
    """Whether ``address`` is anything but a globally routable unicast address.

    ``not is_global`` rather than a list of private ranges: carrier-grade NAT
    (100.64.0.0/10, where some cloud metadata services live) is neither private nor global
    to Python, and so are other special ranges. An IPv6 address that embeds an IPv4 one
    (:func:`embedded_ipv4`) is judged by that IPv4 address, and refused if the outer form
    is not global either.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += embedded_ipv4(ip)
    return any(not c.is_global or c.is_multicast for c in candidates)


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    host = host.strip("[]")
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


class PrivateHostsMiddleware:
    """Downloader middleware: first in line, so nothing at all goes to a refused host."""

    def __init__(self, crawler: Crawler, config: PolitenessConfig) -> None:
        if config.allow_private_hosts:
            raise NotConfigured("ALLOW_PRIVATE_HOSTS is on")
        self.crawler = crawler
        self._verdicts: dict[str, str | None] = {}
        self.allowed = [
            ipaddress.ip_network(n, strict=False)
            for n in crawler.settings.getlist("ALLOWED_PRIVATE_NETWORKS")
        ]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateHostsMiddleware:
        return cls(crawler, part(crawler, PolitenessConfig))

    async def process_request(self, request: Request) -> None:
        if not request.url.startswith(("http:", "https:")):
            return
        host = urlparse_cached(request).hostname or ""
        if host not in self._verdicts:
            self._verdicts[host] = await self._check(host)
        reason = self._verdicts[host]
        if reason is not None:
            assert self.crawler.stats is not None
            if not is_policy_file(request):  # counted once, for the page it is for
                self.crawler.stats.inc_value("politeness/refused/private_host")
            raise IgnoreRequest(reason)

    async def _check(self, host: str) -> str | None:
        try:
            addresses = await run_in_thread(resolve, host)
        except OSError:
            return None  # unresolvable: the download fails on its own, with its own error
        private = [a for a in addresses if is_private_address(a) and not self._allowed(a)]
        if not private:
            return None
        reason = (
            f"{host} resolves to an address that is not public "
            f"({', '.join(private)}); set ALLOW_PRIVATE_HOSTS = True to crawl it"
        )
        logger.warning("Refusing %s", reason)
        return reason

    def _allowed(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip in network for network in self.allowed if ip.version == network.version)

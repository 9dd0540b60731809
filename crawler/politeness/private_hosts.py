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

from crawler.politeness.config import config_for
from crawler.politeness.robots_rules import ROBOTS_META

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["PrivateHostsMiddleware", "is_private_address", "resolve"]

logger = logging.getLogger(__name__)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_private_address(address: str) -> bool:
    """Whether ``address`` is anything but a globally routable unicast address.

    ``not is_global`` rather than a list of private ranges: carrier-grade NAT
    (100.64.0.0/10, where some cloud metadata services live) is neither private nor global
    to Python, and so are other special ranges. IPv4 addresses written inside IPv6 ones
    (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, Teredo, NAT64) are judged as the IPv4
    address they reach, and refused if the outer form is not global either.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        candidates += [e for e in embedded if e is not None]
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

    def __init__(self, crawler: Crawler) -> None:
        if config_for(crawler).allow_private_hosts:
            raise NotConfigured("ALLOW_PRIVATE_HOSTS is on")
        self.crawler = crawler
        self._verdicts: dict[str, str | None] = {}
        self.allowed = [
            ipaddress.ip_network(n, strict=False)
            for n in crawler.settings.getlist("ALLOWED_PRIVATE_NETWORKS")
        ]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateHostsMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if not request.url.startswith(("http:", "https:")):
            return
        host = urlparse_cached(request).hostname or ""
        if host not in self._verdicts:
            self._verdicts[host] = await self._check(host)
        reason = self._verdicts[host]
        if reason is not None:
            assert self.crawler.stats is not None
            if ROBOTS_META not in request.meta:  # counted once, for the page it is for
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

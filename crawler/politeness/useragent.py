"""Who is asking: the same identifying User-Agent on every request, and no crawl of public
hosts until the user has said how to reach them.

Like Heritrix and Nutch, the crawler refuses public hosts until a contact is configured:
``CONTACT`` (a URL or e-mail, put into the User-Agent) or a ``USER_AGENT`` that already
holds one. Loopback hosts (the demo, the tests) need none.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.politeness.config import PolitenessConfig
from crawler.politeness.policy_files import is_policy_file
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["NO_CONTACT_HELP", "IdentityMiddleware", "is_loopback_host"]

logger = logging.getLogger(__name__)

NO_CONTACT_HELP = (
    "Refusing to crawl public hosts without a contact in the User-Agent: site operators "
    "must be able to reach you. Set CONTACT to a URL or e-mail address, e.g. "
    "`scrapy crawl sets -s CONTACT=mailto:you@example.org ...` or CONTACT = "
    '"https://example.org/about-my-crawl" in crawler/settings.py (or give a USER_AGENT '
    "that holds one)."
)


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class IdentityMiddleware:
    """Downloader middleware (replaces Scrapy's UserAgentMiddleware)."""

    def __init__(self, crawler: Crawler, config: PolitenessConfig) -> None:
        self.crawler = crawler
        self.config = config
        self._user_agent = self.config.user_agent.encode()
        self._told = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IdentityMiddleware:
        return cls(crawler, part(crawler, PolitenessConfig))

    def process_request(self, request: Request) -> None:
        if not request.url.startswith(("http:", "https:")):
            return
        host = urlparse_cached(request).hostname or ""
        if not self.config.has_contact and not is_loopback_host(host):
            assert self.crawler.stats is not None
            if not is_policy_file(request):  # counted once, for the page it is for
                self.crawler.stats.inc_value("politeness/refused/no_contact")
            if not self._told:
                self._told = True
                logger.error(NO_CONTACT_HELP)
            raise IgnoreRequest("No CONTACT configured for a public host")
        # One identity for everything: pages, robots.txt, sitemaps, retries.
        request.headers[b"User-Agent"] = self._user_agent

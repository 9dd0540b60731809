"""Site terms: which sites may be crawled at all, how slowly, and whether JavaScript may run.

A registry of ``[[site]]`` entries from the TOML file shipped beside this module plus the
user's own (``SITE_POLICY_FILE``, whose entries win). A request to a site whose entry says
``exports-only`` or ``forbidden`` is refused before anything is sent, robots.txt included.
Sites without an entry follow robots.txt.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.politeness.policy_files import is_policy_file
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["SiteTerms", "SiteTermsMiddleware", "TermsError", "TermsRegistry"]

logger = logging.getLogger(__name__)

Crawl = Literal["allowed", "exports-only", "forbidden"]
_CRAWL_VALUES = ("allowed", "exports-only", "forbidden")
_FIELDS = {
    "domain",
    "crawl",
    "render_js",
    "min_delay",
    "terms_url",
    "note",
    "api_paths",
    "api_terms_url",
    "daily_limit",
    "quota_paths",
    "gives",
    "spiders",
    "key_setting",
}


class TermsError(ValueError):
    """A site-terms file that can't be used as it is."""


@dataclass(frozen=True)
class SiteTerms:
    domain: str
    crawl: Crawl = "allowed"
    render_js: bool = False
    min_delay: float = 0.0
    terms_url: str | None = None
    note: str | None = None
    api_paths: tuple[str, ...] = ()
    """Path prefixes of a web service the site invites programs to use..."""
    api_terms_url: str | None = None
    """...as its documentation (this URL) says, though robots.txt keeps crawlers off them."""
    daily_limit: int | None = None
    """Requests a day (UTC) the site allows: counted in the store across runs and workers."""
    quota_paths: tuple[str, ...] = ()
    """Path prefixes the daily limit counts; empty: every request to the host, robots.txt
    included."""
    gives: str | None = None
    """For ``crawler sources``: what the site gives programs."""
    spiders: tuple[str, ...] = ()
    """For ``crawler sources``: the shipped spiders that read it."""
    key_setting: str | None = None
    """For ``crawler sources``: the setting holding the API key it asks for, if any."""
    source: str = ""
    """The file the entry came from."""

    def matches(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host == self.domain or host.endswith("." + self.domain)

    def api_permission(self, path: str) -> str | None:
        """The documentation URL that lets programs use ``path`` whatever robots.txt says,
        or None: only the entry's ``api_paths`` have such a permission."""
        if self.api_terms_url and any(path.startswith(p) for p in self.api_paths):
            return self.api_terms_url
        return None

    def counts(self, path: str) -> bool:
        """Whether a request to ``path`` counts against the daily limit."""
        if self.daily_limit is None:
            return False
        return not self.quota_paths or any(path.startswith(p) for p in self.quota_paths)

    def refusal(self) -> str | None:
        """Why a crawl of this site is refused, or None when it is allowed."""
        if self.crawl == "allowed":
            return None
        why = f"site terms for {self.domain} say crawl={self.crawl}"
        if self.note:
            why += f" ({self.note})"
        if self.terms_url:
            why += f"; terms: {self.terms_url}"
        if self.crawl == "exports-only":
            why += (
                "; import pages you saved from it in your browser instead: "
                "scrapy crawl exports -a path=DIR_OR_FILE"
            )
        return why


def _entry(raw: Any, source: str) -> SiteTerms:
    if not isinstance(raw, dict):
        raise TermsError(f"{source}: each [[site]] must be a table")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise TermsError(f"{source}: unknown field(s) {sorted(unknown)} in [[site]]")
    domain = str(raw.get("domain", "")).strip().lower().rstrip(".")
    if not domain or "/" in domain or ":" in domain:
        raise TermsError(f"{source}: [[site]] needs a bare host name as domain, got {domain!r}")
    crawl = raw.get("crawl", "allowed")
    if crawl not in _CRAWL_VALUES:
        raise TermsError(f"{source}: {domain}: crawl must be one of {_CRAWL_VALUES}")
    min_delay = raw.get("min_delay", 0.0)
    if not isinstance(min_delay, int | float) or min_delay < 0:
        raise TermsError(f"{source}: {domain}: min_delay must be a number of seconds >= 0")
    render_js = raw.get("render_js", False)
    if not isinstance(render_js, bool):
        raise TermsError(f"{source}: {domain}: render_js must be true or false")
    api_paths = raw.get("api_paths", [])
    if not isinstance(api_paths, list) or not all(
        isinstance(p, str) and p.startswith("/") and len(p) > 1 for p in api_paths
    ):
        raise TermsError(f'{source}: {domain}: api_paths must be a list of paths like "/ws/2/"')
    if bool(api_paths) != bool(raw.get("api_terms_url")):
        # A permission to read what robots.txt disallows must say where the site grants it.
        raise TermsError(f"{source}: {domain}: api_paths and api_terms_url go together")
    quota = _quota(raw, source, domain)
    spiders = raw.get("spiders", [])
    if not isinstance(spiders, list) or not all(isinstance(x, str) for x in spiders):
        raise TermsError(f"{source}: {domain}: spiders must be a list of spider names")
    return SiteTerms(
        **quota,
        gives=raw.get("gives"),
        spiders=tuple(spiders),
        key_setting=raw.get("key_setting"),
        domain=domain,
        crawl=crawl,
        render_js=render_js,
        min_delay=float(min_delay),
        terms_url=raw.get("terms_url"),
        note=raw.get("note"),
        api_paths=tuple(api_paths),
        api_terms_url=raw.get("api_terms_url"),
        source=source,
    )


def _quota(raw: dict[str, Any], source: str, domain: str) -> dict[str, Any]:
    limit = raw.get("daily_limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise TermsError(f"{source}: {domain}: daily_limit must be a whole number of requests")
    paths = raw.get("quota_paths", [])
    if not isinstance(paths, list) or not all(
        isinstance(p, str) and p.startswith("/") for p in paths
    ):
        raise TermsError(f'{source}: {domain}: quota_paths must be a list of paths like "/rest/"')
    if paths and limit is None:
        raise TermsError(f"{source}: {domain}: quota_paths needs a daily_limit")
    return {"daily_limit": limit, "quota_paths": tuple(paths)}


def parse_terms(text: str, source: str) -> list[SiteTerms]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TermsError(f"{source}: not valid TOML: {exc}") from exc
    sites = data.get("site", [])
    if not isinstance(sites, list):
        raise TermsError(f"{source}: use [[site]] tables")
    return [_entry(raw, source) for raw in sites]


class TermsRegistry:
    """Entries by domain; the most specific domain matching a host wins."""

    def __init__(self, entries: list[SiteTerms]) -> None:
        self._entries: dict[str, SiteTerms] = {}
        for entry in entries:  # later files override earlier ones
            self._entries[entry.domain] = entry

    @classmethod
    def load(cls, user_file: str | Path | None = None) -> TermsRegistry:
        shipped = resources.files("crawler.politeness").joinpath("sites.toml")
        entries = parse_terms(shipped.read_text(encoding="utf-8"), "crawler/politeness/sites.toml")
        if user_file:
            path = Path(user_file)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise TermsError(f"SITE_POLICY_FILE {path}: {exc.strerror}") from exc
            entries += parse_terms(text, str(path))
        return cls(entries)

    def lookup(self, host: str) -> SiteTerms | None:
        """The entry of the longest domain that is ``host`` or one of its parents: the
        host's own name, then each name left when a label is dropped from the left (asked
        several times a request, so a walk of dict lookups, not a scan of the registry)."""
        name = host.lower().rstrip(".")
        while True:
            entry = self._entries.get(name)
            if entry is not None:
                return entry
            _label, dot, name = name.partition(".")
            if not dot:
                return None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._entries.values())


class SiteTermsMiddleware:
    """Downloader middleware: refuses requests to sites whose terms forbid crawling."""

    def __init__(self, crawler: Crawler, terms: TermsRegistry) -> None:
        self.crawler = crawler
        self.terms = terms
        self._told: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteTermsMiddleware:
        return cls(crawler, part(crawler, TermsRegistry))

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname
        if not host or not request.url.startswith(("http:", "https:")):
            return
        entry = self.terms.lookup(host)
        refusal = entry.refusal() if entry else None
        if refusal is None:
            return
        assert entry is not None
        if not is_policy_file(request):  # counted once, for the page it is for
            self.crawler.stats.inc_value("politeness/refused/terms")
        if entry.domain not in self._told:
            self._told.add(entry.domain)
            logger.warning("Not crawling %s: %s", entry.domain, refusal)
        raise IgnoreRequest(f"Refused by site terms: {entry.domain} is {entry.crawl}")

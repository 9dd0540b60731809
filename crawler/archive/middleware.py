"""The crawl's WARC archive: every response as received, with its request and what
permitted it (``WARC_DIR``; ``crawler crawl ... --warc DIR``).

A downloader middleware placed next to the download handler (990, after the conditional-
request middleware): its ``process_response`` is the first to see a response, before
Scrapy's HttpCompressionMiddleware (590) decompresses it, the redirect and retry
middlewares act on it, or the incremental one turns a 304 into an ignored request. So the
archive holds every answer (pages, robots.txt, tdmrep.json, sitemaps, redirects, 304s,
errors, each retry), its body as it came (``Content-Encoding`` kept), the server's own
status line (:mod:`crawler.archive.http11`) and ``WARC-IP-Address``. Each answer is three
records: ``request``, ``response`` and a ``metadata`` record (``application/warc-fields``,
so replay tools never take it for the page) saying what permitted the fetch: the robots.txt
group and rule, the gap kept (Crawl-delay or site terms), the TDM and AI-use preferences
seen. A page rendered in the browser adds its DOM as a ``conversion`` record.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from warcio.statusandheaders import StatusAndHeaders

from crawler import __version__
from crawler.archive.http11 import STATUS_LINE_META
from crawler.archive.writer import WarcFiles
from crawler.politeness.aiuse import ai_use_for
from crawler.politeness.config import PolitenessConfig
from crawler.politeness.pace import PacePolicy
from crawler.politeness.robots import ROBOTS_META, RobotsPolicy, origin_of
from crawler.politeness.terms import TermsRegistry
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.politeness.robots_rules import RobotsFile

__all__ = ["WarcArchiver", "matched_rule"]

logger = logging.getLogger(__name__)

_DROPPED_HEADERS = {b"transfer-encoding"}
"""Chunking is the connection's framing, undone by the time the body is whole: a record
that kept the header would hold a body its reader tries to de-chunk."""


def matched_rule(parser: Any, url: str, token: str) -> str | None:
    """The robots.txt rule (``Allow: /x`` or ``Disallow: /y``) that decided ``url``, or
    None (no rule matched: allowed). Protego has no public call for it; its own rule
    order (longest first) is the authority, read as ``RobotsFile.group`` reads the group."""
    matcher = getattr(parser, "_get_matching_rule_set", None)
    rule_set = matcher(token) if matcher is not None else None
    if rule_set is None:
        return None
    target = _target(url)
    for rule in getattr(rule_set, "_rules", ()):
        pattern = getattr(rule.value, "_pattern", "")
        if rule.value.match(target):
            return f"{rule.field.capitalize()}: {pattern}"
    return None


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _record(
    writer: Any,
    uri: str,
    kind: str,
    payload: bytes,
    http: StatusAndHeaders | None = None,
    content_type: str = "",
    headers: dict[str, str] | None = None,
) -> Any:
    """A warcio record whose length and digests are given: warcio would otherwise read
    the payload three times (to buffer it, for each digest), a third of the archive's
    cost per response (bench_wide --archive)."""
    headers = dict(headers or {})
    block = payload
    if http is not None:
        http.compute_headers_buffer(None)
        block = http.headers_buff + payload
    headers["WARC-Payload-Digest"] = _digest(payload)
    headers["WARC-Block-Digest"] = (
        _digest(block) if block is not payload else headers["WARC-Payload-Digest"]
    )
    return writer.create_warc_record(
        uri,
        kind,
        payload=BytesIO(payload),
        length=len(payload),
        warc_content_type=content_type,
        warc_headers_dict=headers,
        http_headers=http,
    )


def _headers(headers: Any, drop: set[bytes] = _DROPPED_HEADERS) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        if key.lower() not in drop
        for value in values
    ]


class WarcArchiver:
    """Downloader middleware writing the crawl's WARC files (see the module's doc)."""

    def __init__(
        self,
        crawler: Crawler,
        folder: Path,
        max_bytes: int,
        config: PolitenessConfig,
        terms: TermsRegistry,
        pace: PacePolicy,
    ) -> None:
        self.crawler = crawler
        self.config = config
        self.terms = terms
        self.pace = pace
        self.folder = folder
        self.max_bytes = max_bytes
        self.files: WarcFiles | None = None
        self._by_origin: dict[str, tuple[RobotsFile, list[tuple[str, str]]]] = {}
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiver:
        folder = crawler.settings.get("WARC_DIR")
        if not folder:
            raise NotConfigured  # silent: no archive unless asked for
        return cls(
            crawler,
            Path(folder),
            crawler.settings.getint("WARC_MAX_BYTES"),
            part(crawler, PolitenessConfig),
            part(crawler, TermsRegistry),
            part(crawler, PacePolicy),
        )

    def _files(self) -> WarcFiles:
        if self.files is None:
            config = self.config
            spider = self.crawler.spider
            info = {
                "software": f"polite-tracklist-crawler/{__version__} (Scrapy, warcio)",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/"
                "specifications/warc-format/warc-1.1/",
                "http-header-user-agent": config.user_agent,
                "operator": self.crawler.settings.get("CONTACT") or "",
                "robots": "obey" if config.obey_robots else "ignore",
                "isPartOf": spider.name if spider is not None else "crawl",
            }
            prefix = spider.name if spider is not None else "crawl"
            self.files = WarcFiles(self.folder, prefix, self.max_bytes, info)
        return self.files

    def process_response(self, request: Request, response: Response) -> Response:
        if not response.url.startswith(("http:", "https:")):
            return response
        try:
            self._archive(request, response)
        except OSError as error:  # a full disk must not lose the crawl's sets
            logger.error("Not archived: %s (%s)", response.url, error)
            self._inc("archive/errors")
        return response

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def _archive(self, request: Request, response: Response) -> None:
        files = self._files()
        writer = files.writer
        if "playwright" in response.flags:  # the browser's DOM, not what a server sent
            dom = _record(
                writer, response.url, "conversion", response.body, None,
                "text/html; charset=utf-8", {"WARC-Refers-To-Target-URI": response.url},
            )  # fmt: skip
            files.write([dom])
            self._inc("archive/conversions")
            return
        req = self._request_record(writer, request, response)
        resp = self._response_record(writer, request, response)
        req.rec_headers.add_header("WARC-Concurrent-To", resp.rec_headers["WARC-Record-ID"])
        fields = self._permission(request, response)
        block = "".join(f"{k}: {v}\r\n" for k, v in fields).encode("utf-8")
        meta = _record(
            writer, response.url, "metadata", block, None, "application/warc-fields",
            {"WARC-Refers-To": resp.rec_headers["WARC-Record-ID"]},
        )  # fmt: skip
        files.write([req, resp, meta])
        self._inc("archive/responses")

    def _request_record(self, writer: Any, request: Request, response: Response) -> Any:
        parts = urlparse_cached(request)
        target = _target(request.url)
        protocol = response.protocol or "HTTP/1.1"
        headers = [("Host", parts.netloc), *_headers(request.headers, set())]
        http = StatusAndHeaders(
            f"{request.method} {target} {protocol}", headers, is_http_request=True
        )
        return _record(writer, response.url, "request", request.body, http)

    def _response_record(self, writer: Any, request: Request, response: Response) -> Any:
        line = request.meta.get(STATUS_LINE_META)
        if line is not None and line[1] == response.status:
            protocol, _, phrase = line
        else:  # another handler fetched it: the standard phrase, said so in the metadata
            protocol = response.protocol or "HTTP/1.1"
            try:
                phrase = HTTPStatus(response.status).phrase
            except ValueError:
                phrase = ""
        http = StatusAndHeaders(
            f"{response.status} {phrase}".rstrip(), _headers(response.headers), protocol=protocol
        )
        warc_headers = {}
        if response.ip_address is not None:
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        return _record(writer, response.url, "response", response.body, http, "", warc_headers)

    def _permission(self, request: Request, response: Response) -> list[tuple[str, str]]:
        """What permitted this fetch, as the crawl saw it when the answer came."""
        config = self.config
        parts = urlparse_cached(request)
        host = parts.hostname or ""
        fields = [("user-agent", config.user_agent)]
        if request.meta.get(STATUS_LINE_META) is None:
            fields.append(("status-line", "standard reason phrase (the server's not seen)"))
        robots = self.crawler.get_downloader_middleware(RobotsPolicy)
        origin = origin_of(request)
        rules = robots.rules_for(origin) if robots is not None else None
        if ROBOTS_META in request.meta:
            fields.append(("robots", "this is the host's robots.txt (RFC 9309: always fetched)"))
        elif rules is None:
            fields.append(("robots", "not consulted" if robots is None else "not read yet"))
        else:
            fields += self._origin_fields(origin, host, rules)
            rule = matched_rule(rules.parser, request.url, config.product)
            fields.append(("robots-rule", rule or "no rule matched: allowed"))
        if rules is None and (terms := self.terms.lookup(host)) is not None:
            fields.append(("site-terms", f"{terms.domain} crawl={terms.crawl} ({terms.source})"))
        gap = self.pace.explain(host)
        fields.append(("crawl-delay", f"{gap.allowed:g} ({gap.reason})"))
        tdm = (response.headers.get(b"tdm-reservation") or b"").decode("latin-1").strip()
        if tdm:
            fields.append(("tdm-reservation", tdm))
        header = response.headers.get
        ai_use = ai_use_for(
            parts.path or "/",
            (header(b"content-usage") or b"").decode("latin-1") or None,
            (header(b"content-signal") or b"").decode("latin-1") or None,
            rules.usage if rules is not None else (),
            rules.signals if rules is not None else (),
            tdm_reserved=tdm == "1",
        )
        fields += [(f"ai-use-{key.replace('_', '-')}", str(v)) for key, v in ai_use.items()]
        return fields

    def _origin_fields(self, origin: str, host: str, rules: RobotsFile) -> list[tuple[str, str]]:
        """What holds for every page of an origin while its robots.txt stays the same:
        worked out once per robots.txt, not once per page."""
        cached = self._by_origin.get(origin)
        if cached is not None and cached[0] is rules:
            return cached[1]
        fields = [("robots", f"{rules.kind} ({rules.reason})")]
        group = rules.group(self.config.product)
        if group is not None:
            fields.append(("robots-group", f"User-agent: {group}"))
        terms = self.terms.lookup(host)
        if terms is not None:
            fields.append(("site-terms", f"{terms.domain} crawl={terms.crawl} ({terms.source})"))
        self._by_origin[origin] = (rules, fields)
        return fields

    def _closed(self, spider: Any = None, **_: Any) -> None:
        if self.files is None:
            return
        written = self.files.close()
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archive/files", len(written))
        logger.info("Archived the crawl in %d WARC file(s) in %s", len(written), self.folder)

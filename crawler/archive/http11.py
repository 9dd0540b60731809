"""Scrapy's HTTP/1.1 handler, keeping the server's status line for the archive.

Scrapy builds a ``Response`` from Twisted's and drops the reason phrase ("OK", "Not
Found", or whatever the server wrote): a WARC ``response`` record holds the status line
as received, so the phrase is kept in the request's meta (:data:`STATUS_LINE_META`),
taken from Twisted's response where Scrapy's agent first sees it. Everything else is
Scrapy's own handler, unchanged; the rendering handler fetches with it
(``RENDER_PLAIN_HANDLER``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers import http11
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response
    from twisted.internet.defer import Deferred

__all__ = ["STATUS_LINE_META", "StatusLineHTTP11DownloadHandler"]

logger = logging.getLogger(__name__)

STATUS_LINE_META = "http_status_line"
"""Request meta: ``(protocol, status, reason phrase)`` as the server sent them."""


class _StatusLineAgent(http11._ScrapyAgent):
    # Scrapy's agent has no public hook between Twisted's response and its own; this is
    # the first method that sees Twisted's, and it is called once per response.
    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        version = txresponse.version
        protocol = f"{version[0].decode('ascii', 'replace')}/{version[1]}.{version[2]}"
        phrase = txresponse.phrase
        request.meta[STATUS_LINE_META] = (
            protocol,
            int(txresponse.code),
            phrase.decode("latin-1") if isinstance(phrase, bytes) else str(phrase or ""),
        )
        return super()._cb_bodyready(txresponse, request)


class StatusLineHTTP11DownloadHandler(http11.HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose agent records the status line it received."""

    async def download_request(self, request: Request) -> Response:
        agent = _StatusLineAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                deferred: Deferred[Response] = agent.download_request(request)
                return await maybe_deferred_to_future(deferred)
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise

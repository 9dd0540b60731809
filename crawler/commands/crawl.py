"""``scrapy crawl`` (and ``crawler crawl``): Scrapy's command, with one-line start-up errors.

A crawl that cannot start says why in one line, without a traceback, and exits non-zero:
an unknown or missing spider argument is a usage error (exit 2), so is a feature whose
optional extra is not installed; settings the politeness add-on refuses exit 4 (refused).
A store that cannot be opened ends the crawl before anything is sent to any site, with one
line (the URL's password masked, the ``createdb`` command for a missing PostgreSQL
database) and exit 1: a crawl that could not keep what it fetches should not fetch it.
Anything else that stops a crawl from starting is Scrapy's exit 1, with its traceback.
A crawl that leaves sets unstored (they wait in the spool) exits 1 too.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from crawler.addons import PolitenessRefused
from crawler.extras import MissingExtra
from crawler.logsafe import install_secrets_filter
from crawler.store.db import store_problem

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)

EXIT_USAGE = 2
EXIT_REFUSED = 4
_ONE_LINE = (UsageError, PolitenessRefused, MissingExtra)


class _StartError:
    """Takes the start-up exception of one crawl, so that neither asyncio nor Twisted
    prints it again as an unhandled error."""

    def __init__(self, started: Any) -> None:
        self.error: BaseException | None = None
        if isinstance(started, Deferred):
            started.addErrback(self._failure)
        elif isinstance(started, asyncio.Future):
            started.add_done_callback(self._done)

    def _failure(self, failure: Any) -> None:
        if failure.check(*_ONE_LINE):
            self.error = failure.value
            return None
        return failure

    def _done(self, task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, _ONE_LINE):
            self.error = error


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        assert self.crawler_process
        install_secrets_filter()  # before Scrapy logs the overridden settings
        crawler = self._create_crawler(args[0])
        url = crawler.settings.get("DATABASE_URL")
        if url and (problem := store_problem(url)):
            logging.getLogger("crawler.store").error("%s. Nothing was crawled.", problem)
            self.exitcode = 1
            return
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        start = _StartError(started)
        self.crawler_process.start()
        log_file = self.settings.get("LOG_FILE") if self.settings is not None else None
        if isinstance(start.error, UsageError | MissingExtra) and log_file:
            logger.error("%s", start.error)  # a log file (scrapyd's job log) says why, too
        if isinstance(start.error, UsageError):
            raise start.error
        if isinstance(start.error, PolitenessRefused):  # the add-on logged its one line
            self.exitcode = EXIT_REFUSED
        elif isinstance(start.error, MissingExtra):
            print(f"scrapy crawl: {start.error}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats is not None and crawler.stats.get_value("store/unstored"):
            self.exitcode = 1  # sets left in the spool: a failure, whatever else went well

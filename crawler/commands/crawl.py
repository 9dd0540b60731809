"""``scrapy crawl``, which first makes sure the store can keep what the crawl fetches, and
whose exit code says how the crawl went.

A crawl whose store is unreachable ends before anything is sent to any site, with one
error line (what failed, the URL with its password masked, and for a missing PostgreSQL
database the ``createdb`` command) and exit code 1, instead of fetching pages it cannot
keep and printing tracebacks.

Scrapy's own command exits 0 whenever the crawl could start, even when every request
failed. This one reads the outcome the crawl put in its stats (``crawl/outcome``, see
crawler/monitor/outcome.py) and exits with its code: 0 ok, 1 failed, 3 partial, 4 refused.
A crawl that could not start keeps Scrapy's 1; usage errors keep Scrapy's 2.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.logsafe import install_secrets_filter
from crawler.monitor.extension import OUTCOME_STAT
from crawler.monitor.outcome import EXIT_CODES, Outcome
from crawler.store.db import store_problem

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger("crawler.store")


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        assert self.crawler_process
        install_secrets_filter()  # before Scrapy logs the overridden settings
        try:
            crawler = self._create_crawler(args[0])
        except KeyError as error:
            raise UsageError(str(error).strip("'\"")) from error
        url = crawler.settings.get("DATABASE_URL")
        if url and (problem := store_problem(url)):
            logger.error("%s. Nothing was crawled.", problem)
            self.exitcode = EXIT_CODES[Outcome.FAILED]
            return
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        outcome = crawler.stats.get_value(OUTCOME_STAT) if crawler.stats else None
        try:
            self.exitcode = EXIT_CODES[Outcome(str(outcome))]
        except ValueError:  # no outcome: the outcome extension is switched off
            self.exitcode = 0

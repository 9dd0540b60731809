"""``scrapy crawl``, which first makes sure the store can keep what the crawl fetches,
and ends with a non-zero exit code when sets were left unstored.

A crawl whose store is unreachable ends before anything is sent to any site, with one
error line (what failed, the URL with its password masked, and for a missing PostgreSQL
database the ``createdb`` command) and exit code 1, instead of fetching pages it cannot
keep and printing tracebacks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.logsafe import install_secrets_filter
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
            self.exitcode = 1
            return
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        assert crawler.stats is not None
        if self.crawler_process.bootstrap_failed or crawler.stats.get_value("store/unstored"):
            self.exitcode = 1  # sets left in the spool: a failure, whatever else went well

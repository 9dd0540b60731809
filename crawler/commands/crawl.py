"""``scrapy crawl``, whose exit code says how the crawl went.

Scrapy's own command exits 0 whenever the crawl could start, even when every request
failed. This one reads the outcome the crawl put in its stats (``crawl/outcome``, see
crawler/monitor/outcome.py) and exits with its code: 0 ok, 1 failed, 3 partial, 4 refused.
A crawl that could not start keeps Scrapy's 1; usage errors keep Scrapy's 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.monitor.extension import OUTCOME_STAT
from crawler.monitor.outcome import EXIT_CODES, Outcome

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's usage errors
            return
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
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


__all__ = ["Command"]

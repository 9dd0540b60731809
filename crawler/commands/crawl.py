"""``scrapy crawl`` (and ``crawler crawl``): Scrapy's command, telling the truth.

A crawl that cannot start says why in one line, without a traceback, and exits non-zero:
an unknown or missing spider argument is a usage error (exit 2), so is a feature whose
optional extra is not installed; settings the politeness add-on refuses exit 4 (refused).
A store that cannot be opened ends the crawl before anything is sent to any site, with one
line (the URL's password masked, the ``createdb`` command for a missing PostgreSQL
database) and exit 1: a crawl that could not keep what it fetches should not fetch it.
Anything else that stops a crawl from starting is Scrapy's exit 1, with its traceback.

``--workers N`` runs the crawl in N processes of this machine that share one frontier,
each host's clock, robots.txt verdicts and the duplicate filter through Redis
(``crawler/cluster/workers.py``); the exit code is the worst of theirs.

Scrapy's own command exits 0 whenever the crawl could start, even when every request
failed. This one reads the outcome the crawl put in its stats (``crawl/outcome``, see
crawler/monitor/outcome.py) and exits with its code: 0 ok, 1 failed, 3 partial, 4 refused
(sets left unstored in the spool are never ok). A crawl stopped before its spider
could close (a second Ctrl-C) exits 1, with one line saying so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.addons import PolitenessRefused
from crawler.extras import MissingExtra, require
from crawler.logsafe import install_secrets_filter
from crawler.monitor.extension import OUTCOME_STAT
from crawler.monitor.outcome import EXIT_CODES, Outcome
from crawler.store.db import store_problem

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)

EXIT_USAGE = 2
EXIT_REFUSED = 4
WORKERS_IDLE_TIMEOUT = 2.0
"""``--workers``: seconds the frontier must stay empty, with nothing out, before they stop."""
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

    def _failure(self, failure: Failure) -> Failure | None:
        if isinstance(failure.value, _ONE_LINE):  # as Failure.check, which is untyped
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
    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--warc",
            metavar="DIR",
            help="archive every response as received in WARC files in DIR (WARC_DIR)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            metavar="N",
            help="run the crawl in N processes sharing one frontier and each host's clock "
            "(Redis: REDIS_URL, else a private redis-server on loopback)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if opts.warc:
            assert self.settings is not None
            self.settings.set("WARC_DIR", opts.warc, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        assert self.crawler_process
        if opts.workers != 1:
            self.exitcode = self._run_workers(args[0], opts)
            return
        install_secrets_filter()  # before Scrapy logs the overridden settings
        crawler = self._create_crawler(args[0])
        url = crawler.settings.get("DATABASE_URL")
        if url and (problem := store_problem(url)):
            logger.error("%s. Nothing was crawled.", problem)
            self.exitcode = EXIT_CODES[Outcome.FAILED]
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
        else:
            self.exitcode = _exit_code(crawler.stats)

    def _run_workers(self, spider: str, opts: argparse.Namespace) -> int:
        """``--workers N``: N cluster workers on this machine (crawler/cluster/workers.py)."""
        assert self.settings is not None
        if opts.workers < 1:
            raise UsageError("--workers must be at least 1", print_help=False)
        if opts.output or opts.overwrite_output:
            raise UsageError(
                "-o/-O with --workers: each worker would write its own part; the feed of the "
                "whole crawl comes from the store (crawler export)",
                print_help=False,
            )
        url = self.settings.get("DATABASE_URL")
        if url and (problem := store_problem(url)):
            logger.error("%s. Nothing was crawled.", problem)
            return EXIT_CODES[Outcome.FAILED]
        try:
            require("cluster", "--workers (a crawl in several processes)")
        except MissingExtra as exc:
            print(f"scrapy crawl: {exc}", file=sys.stderr)
            return EXIT_USAGE
        from crawler.cluster.workers import WorkerPlan, run_workers

        given = {s.split("=", 1)[0] for s in opts.set}
        settings = list(opts.set)
        if "IDLE_TIMEOUT" not in given:
            # The workers queue the seeds themselves: once nothing is queued or out, the
            # crawl is over (a frontier fed from outside sets its own IDLE_TIMEOUT).
            settings.append(f"IDLE_TIMEOUT={WORKERS_IDLE_TIMEOUT:g}")
        if opts.warc:
            settings.append(f"WARC_DIR={opts.warc}")  # each worker archives what it fetches
        global_options = [
            *(["--logfile", opts.logfile] if opts.logfile else []),
            *(["-L", opts.loglevel] if opts.loglevel else []),
            *(["--nolog"] if opts.nolog else []),
        ]
        plan = WorkerPlan(spider, opts.workers, dict(opts.spargs), settings, global_options)
        redis_url = self.settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or None
        try:
            return run_workers(plan, redis_url, self.settings.get("CLUSTER_KEY_PREFIX"))
        except (FileNotFoundError, RuntimeError) as exc:
            print(f"scrapy crawl: {exc}", file=sys.stderr)
            return EXIT_USAGE


def _exit_code(stats: Any) -> int:
    """The outcome's exit code; without an outcome (its extension switched off), sets left
    unstored still make the crawl fail, and so does a crawl that never closed."""
    outcome = stats.get_value(OUTCOME_STAT) if stats is not None else None
    if outcome is None and (stats is None or stats.get_value("finish_reason") is None):
        # Stopped before its spider could close: a second Ctrl-C / SIGTERM ("forcing
        # unclean shutdown"), or a stop while it was starting. Sets still in memory were
        # not stored and their pages not recorded: the next crawl fetches them again.
        print(
            "scrapy crawl: the crawl was stopped before it could close: sets it had not"
            " stored yet are not in the store; the next crawl of the same store fetches"
            " their pages again",
            file=sys.stderr,
        )
        return EXIT_CODES[Outcome.FAILED]
    try:
        return EXIT_CODES[Outcome(str(outcome))]
    except ValueError:
        unstored = stats.get_value("store/unstored") if stats is not None else 0
        return EXIT_CODES[Outcome.FAILED] if unstored else 0

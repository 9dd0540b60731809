"""Runs the schedule's due crawls as ``scrapy crawl`` processes, and records every run.

Each crawl runs in its own process, in the folder of the schedule file, with its own
``JOBDIR`` and log under ``state_dir/<name>/``, ``CRAWL_NAME`` (so that the run's
``crawl_runs`` row carries its name) and the token of its lock (so that it keeps the lock
alive). A run that wrote no row of its own (killed, crashed, or no recording extension)
gets one from the runner, with what the crawl's JOBDIR marker says.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crawler.incremental.book import utcnow
from crawler.incremental.jobdir import read_marker
from crawler.monitor.metrics import CrawlTotals
from crawler.monitor.outcome import EXIT_CODES, SUCCESSES, Outcome
from crawler.schedule.config import Schedule, ScheduledCrawl
from crawler.schedule.lock import STALE_AFTER, CrawlLockHandle, is_stale, try_lock
from crawler.schedule.status import (
    CrawlHealth,
    first_run_started,
    is_stale_crawl,
    last_success,
    stale_after_for,
)
from crawler.schedule.timing import is_due, next_run
from crawler.store import record_crawl_run, session_factory
from crawler.store.locks import crawl_locks
from crawler.store.models import CrawlRun
from crawler.store.runs import latest_crawl_run

__all__ = ["CrawlStatus", "RunOutcome", "Runner", "exit_code_of"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlStatus:
    crawl: ScheduledCrawl
    last_started: datetime | None
    last_finished: datetime | None
    result: str
    next_run: datetime | None
    running: str | None
    """``pid N on HOST`` while a live run holds the lock."""


@dataclass
class _Running:
    crawl: ScheduledCrawl
    proc: subprocess.Popen[bytes]
    lock: CrawlLockHandle
    launched_at: datetime
    rows_before: int


@dataclass(frozen=True)
class RunOutcome:
    name: str
    returncode: int
    reason: str
    """Scrapy's finish reason, or why the process ended without one (``died ...``)."""
    outcome: str = Outcome.FAILED.value

    @property
    def ok(self) -> bool:
        return self.outcome in SUCCESSES


_WORST_FIRST = (Outcome.FAILED, Outcome.PARTIAL, Outcome.REFUSED)


def exit_code_of(outcomes: Iterable[RunOutcome]) -> int:
    """Of several runs: a failed one's code, else a partial one's, else a refused one's."""
    seen = {o.outcome for o in outcomes}
    for outcome in _WORST_FIRST:
        if outcome.value in seen:
            return EXIT_CODES[outcome]
    return 0


def _result(run: CrawlRun | None) -> str:
    if run is None:
        return "never run"
    reason = run.finish_reason or "?"
    items = (run.stats or {}).get("item_scraped_count")
    detail = f"{reason}, {items} sets" if items is not None else reason
    return f"{run.outcome} ({detail})" if run.outcome else detail


class Runner:
    def __init__(
        self,
        schedule: Schedule,
        python: str = sys.executable,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.schedule = schedule
        self.python = python
        self.stale_after = stale_after
        self.factory = session_factory(schedule.database)
        self._running: dict[str, _Running] = {}
        self._said_busy: set[str] = set()
        self.totals: dict[str, CrawlTotals] = {}
        """Per crawl name, what the metrics show (crawler/monitor/metrics.py)."""
        self.loop_beat = time.monotonic()
        """When the ``forever`` loop last went round (``/healthz``)."""

    # -- what is due ---------------------------------------------------------------------
    def status(self, now: datetime | None = None) -> list[CrawlStatus]:
        now = now or utcnow()
        host = socket.gethostname()
        rows = []
        with self.factory() as session:
            locks = crawl_locks(session)
            for crawl in self.schedule.crawls.values():
                run = latest_crawl_run(session, crawl.name)
                lock = locks.get(crawl.name)
                live = lock is not None and not is_stale(lock, host, now, self.stale_after)
                started = run.started_at if run else None
                rows.append(
                    CrawlStatus(
                        crawl=crawl,
                        last_started=started,
                        last_finished=run.finished_at if run else None,
                        result=_result(run),
                        next_run=(
                            next_run(crawl.cron, started, now, self.schedule.timezone)
                            if crawl.enabled
                            else None
                        ),
                        running=f"pid {lock.pid} on {lock.host}" if live and lock else None,
                    )
                )
        return rows

    def health(self, now: datetime | None = None) -> list[CrawlHealth]:
        """Each crawl's last outcome, last success, next due time and staleness."""
        now = now or utcnow()
        written = datetime.fromtimestamp(self.schedule.path.stat().st_mtime, UTC)
        rows = []
        with self.factory() as session:
            for status in self.status(now):
                crawl = status.crawl
                last = latest_crawl_run(session, crawl.name)
                success = last_success(session, crawl.name)
                success_at = (success.finished_at or success.started_at) if success else None
                first_due = first_run_started(session, crawl.name) or written.replace(tzinfo=None)
                stale_after = stale_after_for(crawl, now, self.schedule.timezone)
                rows.append(
                    CrawlHealth(
                        name=crawl.name,
                        spider=crawl.spider,
                        last_outcome=last.outcome if last else None,
                        last_run_at=last.started_at if last else None,
                        last_success_at=success_at,
                        next_due_at=now if status.running else status.next_run,
                        stale=crawl.enabled
                        and is_stale_crawl(success_at, first_due, stale_after, now),
                    )
                )
        return rows

    def load_totals(self) -> None:
        """The metrics' timestamps from the store, so that a restart does not reset them."""
        with self.factory() as session:
            for name in self.schedule.crawls:
                totals = self.totals.setdefault(name, CrawlTotals())
                last = latest_crawl_run(session, name)
                success = last_success(session, name)
                if last is not None:
                    totals.last_run = _timestamp(last.finished_at or last.started_at)
                if success is not None:
                    totals.last_success = _timestamp(success.finished_at or success.started_at)

    def alive(self, tick: float) -> bool:
        """Whether the ``forever`` loop went round lately (it sleeps at most ``tick``)."""
        return time.monotonic() - self.loop_beat < 2 * tick + 10

    def due(
        self, now: datetime, names: Iterable[str] = (), force: bool = False
    ) -> list[ScheduledCrawl]:
        wanted = set(names)
        if unknown := wanted - set(self.schedule.crawls):
            raise KeyError(f"not in {self.schedule.path}: {', '.join(sorted(unknown))}")
        crawls = [c for c in self.schedule.crawls.values() if not wanted or c.name in wanted]
        if force:
            return crawls
        with self.factory() as session:
            last = {c.name: latest_crawl_run(session, c.name) for c in crawls if c.enabled}
        zone = self.schedule.timezone
        started = {name: run.started_at if run else None for name, run in last.items()}
        return [c for c in crawls if c.enabled and is_due(c.cron, started[c.name], now, zone)]

    # -- running -------------------------------------------------------------------------
    def command(self, crawl: ScheduledCrawl, owner: str) -> list[str]:
        folder = self.schedule.crawl_dir(crawl.name)
        cmd = [self.python, "-m", "scrapy", "crawl", crawl.spider]
        for key, value in crawl.args.items():
            cmd += ["-a", f"{key}={value}"]
        cmd += ["-s", f"LOG_FILE={folder / 'crawl.log'}"]  # the crawl's settings may change it
        cmd += ["-s", "PROGRESS_BAR=False"]  # crawls share the runner's terminal: log lines
        for key, value in crawl.settings.items():
            cmd += ["-s", f"{key}={value}"]
        for key, fixed in (
            ("CRAWL_NAME", crawl.name),
            ("CRAWL_LOCK_OWNER", owner),
            ("JOBDIR", folder / "job"),
            ("DATABASE_URL", self.schedule.database),
        ):
            cmd += ["-s", f"{key}={fixed}"]
        return cmd

    def start(self, crawl: ScheduledCrawl, now: datetime | None = None) -> bool:
        """Start ``crawl`` unless a live run of it holds its lock; ``True`` when started."""
        now = now or utcnow()
        if crawl.name in self._running:
            return False
        lock = try_lock(self.factory, crawl.name, now, stale_after=self.stale_after)
        if lock is None:
            if crawl.name not in self._said_busy:
                logger.info("%s is already running: not starting it again", crawl.name)
                self._said_busy.add(crawl.name)
            return False
        self._said_busy.discard(crawl.name)
        folder = self.schedule.crawl_dir(crawl.name)
        (folder / "job").mkdir(parents=True, exist_ok=True)
        with self.factory() as session:
            rows_before = session.scalar(
                select(func.count()).select_from(CrawlRun).where(CrawlRun.name == crawl.name)
            )
        env = dict(os.environ)
        env.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
        try:
            proc = subprocess.Popen(
                self.command(crawl, lock.owner),
                cwd=self.schedule.path.resolve().parent,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # signals reach it once, forwarded by the runner
            )
        except OSError:
            lock.release()
            logger.exception("Could not start %s", crawl.name)
            return False
        lock.refresh(utcnow(), pid=proc.pid)
        logger.info(
            "Running crawl %s: spider %s, pid %d, log %s",
            crawl.name,
            crawl.spider,
            proc.pid,
            folder / "crawl.log",
        )
        self._running[crawl.name] = _Running(crawl, proc, lock, now, rows_before or 0)
        return True

    @property
    def running(self) -> list[str]:
        return list(self._running)

    def reap(self) -> list[RunOutcome]:
        """Finish the runs whose process has ended."""
        return [
            self._finish(run) for run in list(self._running.values()) if run.proc.poll() is not None
        ]

    def stop(self) -> None:
        """Ask every running crawl to stop gracefully (its JOBDIR lets it resume)."""
        for run in self._running.values():
            if run.proc.poll() is None:
                logger.info("Stopping %s (pid %d)", run.crawl.name, run.proc.pid)
                run.proc.send_signal(signal.SIGINT)

    def _finish(self, run: _Running) -> RunOutcome:
        code = run.proc.wait()
        del self._running[run.crawl.name]
        marker = read_marker(self.schedule.crawl_dir(run.crawl.name) / "job") or {}
        ours = marker.get("pid") == run.proc.pid
        reason = str(marker.get("reason")) if ours and marker.get("state") == "closed" else ""
        if not reason:
            reason = f"killed by signal {-code}" if code < 0 else f"died (exit code {code})"
        try:
            row = self._record_if_missing(run, reason, marker.get("stats") if ours else None)
        finally:
            run.lock.release()
        outcome = row.outcome or Outcome.FAILED.value
        totals = self.totals.setdefault(run.crawl.name, CrawlTotals())
        totals.add_stats(row.stats or {})
        totals.add_outcome(outcome, time.time(), outcome in SUCCESSES)
        level = logging.INFO if outcome == Outcome.OK.value else logging.WARNING
        logger.log(level, "%s ended: %s (%s, exit code %d)", run.crawl.name, outcome, reason, code)
        return RunOutcome(run.crawl.name, code, reason, outcome)

    def _record_if_missing(self, run: _Running, reason: str, stats: Any) -> CrawlRun:
        """The run's ``crawl_runs`` row; written here when the crawl process wrote none (it
        was killed, crashed or could not start: the run failed)."""
        with self.factory.begin() as session:
            rows = session.scalar(
                select(func.count()).select_from(CrawlRun).where(CrawlRun.name == run.crawl.name)
            )
            if (rows or 0) > run.rows_before:
                own = latest_crawl_run(session, run.crawl.name)
                assert own is not None
                return own
            stats = stats if isinstance(stats, dict) else {}
            run_id = record_crawl_run(
                session,
                spider=run.crawl.spider,
                name=run.crawl.name,
                started_at=run.launched_at,
                finished_at=utcnow(),
                finish_reason=reason[:100],
                stats=stats,
                politeness={k: v for k, v in stats.items() if k.startswith("politeness/")},
                outcome=Outcome.FAILED.value,
            )
            row = session.get(CrawlRun, run_id)
            assert row is not None
            return row

    # -- the two ways to run -------------------------------------------------------------
    def run_due(
        self,
        names: Sequence[str] = (),
        force: bool = False,
        stop_event: threading.Event | None = None,
    ) -> list[RunOutcome]:
        """Start what is due now and wait for all of it (for cron or a systemd timer)."""
        stop_event = stop_event or threading.Event()
        for crawl in self.due(utcnow(), names, force):
            self.start(crawl)
        outcomes: list[RunOutcome] = []
        stopping = False
        while self._running:
            if stop_event.is_set() and not stopping:
                self.stop()
                stopping = True
            outcomes += self.reap()
            stop_event.wait(0.2)
        return outcomes

    def forever(self, stop_event: threading.Event, tick: float = 30.0) -> list[RunOutcome]:
        """Stay up and start each crawl when it is due, until ``stop_event`` is set."""
        outcomes: list[RunOutcome] = []
        logger.info("Running %s until stopped", self.schedule.path)
        while not stop_event.is_set():
            self.loop_beat = time.monotonic()
            now = utcnow()
            for crawl in self.due(now):
                self.start(crawl, now)
            outcomes += self.reap()
            stop_event.wait(self._sleep(now, tick))
        self.stop()
        while self._running:
            outcomes += self.reap()
            stop_event.wait(0.2)
        return outcomes

    def _sleep(self, now: datetime, tick: float) -> float:
        """Until the next crawl is due (at most ``tick``; sooner while crawls run)."""
        if self._running:
            return min(tick, 1.0)
        soonest = tick
        for status in self.status(now):
            if status.next_run is not None and status.running is None:
                soonest = min(soonest, max(0.5, (status.next_run - now).total_seconds()))
        return soonest


def _timestamp(moment: datetime) -> float:
    """Unix time of a naive UTC datetime, as the store keeps them."""
    return moment.replace(tzinfo=UTC).timestamp()

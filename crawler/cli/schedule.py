"""``crawler schedule``: list the scheduled crawls, check them, and run the ones that are due.

``schedule list`` shows each crawl with its last run, result and next run;
``schedule status`` says whether each is healthy (``--json`` for machines; exit 2 when one
is stale, 1 when one's last run failed); ``schedule run`` runs what is due now and waits for
it (for cron or a systemd timer); ``schedule run --forever`` stays up and runs each crawl on
time, with ``--metrics-port N`` serving Prometheus metrics on 127.0.0.1:N.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING

from crawler.schedule.config import ScheduleError, load_schedule
from crawler.schedule.status import exit_code

if TYPE_CHECKING:
    from crawler.monitor.metrics import MetricsServer
    from crawler.schedule.runner import Runner

DEFAULT_FILE = "schedule.toml"
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("schedule", help="scheduled crawls: list, run when due")
    commands = parser.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-f", "--file", default=DEFAULT_FILE, help=f"the schedule (TOML; default {DEFAULT_FILE})"
    )
    common.add_argument("--database", default=None, help="database URL (default: the file's)")

    listing = commands.add_parser("list", parents=[common], help="each crawl, last and next run")
    listing.set_defaults(func=run_list)

    status = commands.add_parser(
        "status", parents=[common], help="is each crawl healthy? (exit 2 stale, 1 failed)"
    )
    status.add_argument("--json", action="store_true", help="a JSON array, one object a crawl")
    status.set_defaults(func=run_status)

    running = commands.add_parser("run", parents=[common], help="run the crawls that are due")
    running.add_argument("names", nargs="*", metavar="NAME", help="only these crawls")
    running.add_argument("--force", action="store_true", help="run them even if not due")
    running.add_argument("--forever", action="store_true", help="stay up, run each on time")
    running.add_argument(
        "--tick", type=float, default=30.0, help="--forever: longest sleep, in seconds"
    )
    running.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        metavar="N",
        help="--forever: serve Prometheus metrics on 127.0.0.1:N/metrics (and /healthz)",
    )
    running.set_defaults(func=run_run)


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    if moment <= now:
        return "now (due)"
    return moment.strftime("%Y-%m-%d %H:%M")


def run_list(args: argparse.Namespace) -> int:
    from crawler.incremental.book import utcnow
    from crawler.schedule.runner import Runner

    try:
        runner = Runner(load_schedule(args.file, args.database))
    except ScheduleError as exc:
        print(f"crawler schedule: {exc}", file=sys.stderr)
        return 2
    now = utcnow()
    header = ("NAME", "SPIDER", "CRON", "LAST RUN (UTC)", "RESULT", "NEXT RUN (UTC)")
    rows = [header]
    for s in runner.status(now):
        last = s.last_started.strftime("%Y-%m-%d %H:%M") if s.last_started else "-"
        if s.running:
            nxt = f"running ({s.running})"
        elif not s.crawl.enabled:
            nxt = "disabled"
        else:
            nxt = _when(s.next_run, now)
        rows.append((s.crawl.name, s.crawl.spider, s.crawl.cron, last, s.result, nxt))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return exit_code(runner.health(now))


def run_status(args: argparse.Namespace) -> int:
    from crawler.schedule.runner import Runner

    try:
        runner = Runner(load_schedule(args.file, args.database))
    except ScheduleError as exc:
        print(f"crawler schedule: {exc}", file=sys.stderr)
        return 2
    crawls = runner.health()
    if args.json:
        print(json.dumps([c.as_json() for c in crawls], indent=2))
        return exit_code(crawls)
    header = ("NAME", "SPIDER", "LAST OUTCOME", "LAST SUCCESS (UTC)", "NEXT DUE (UTC)", "STALE")
    rows = [header]
    for c in crawls:
        success = c.last_success_at.strftime("%Y-%m-%d %H:%M") if c.last_success_at else "never"
        due = c.next_due_at.strftime("%Y-%m-%d %H:%M") if c.next_due_at else "-"
        outcome = c.last_outcome or ("never run" if c.last_run_at is None else "-")
        rows.append((c.name, c.spider, outcome, success, due, "STALE" if c.stale else "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return exit_code(crawls)


def run_run(args: argparse.Namespace) -> int:
    from crawler.schedule.runner import Runner, exit_code_of

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        runner = Runner(load_schedule(args.file, args.database))
        if args.forever and (args.names or args.force):
            raise ScheduleError("--forever runs the whole schedule: drop NAME and --force")
        if args.metrics_port and not args.forever:
            raise ScheduleError("--metrics-port serves the --forever loop: add --forever")
        runner.due(datetime.now(), args.names)  # checks the names before anything starts
    except (ScheduleError, KeyError) as exc:
        print(f"crawler schedule: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        logging.getLogger(__name__).info("%s: stopping the running crawls", name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    if args.forever:
        server = _metrics_server(runner, args) if args.metrics_port else None
        try:
            outcomes = runner.forever(stop, tick=args.tick)
        finally:
            if server is not None:
                server.stop()
    else:
        outcomes = runner.run_due(args.names, args.force, stop)
        if not outcomes:
            print("Nothing due.")
    for outcome in outcomes:
        print(
            f"{outcome.name}: {outcome.outcome} ({outcome.reason}, exit code {outcome.returncode})"
        )
    if stop.is_set():
        return 130
    return exit_code_of(outcomes)


def _metrics_server(runner: Runner, args: argparse.Namespace) -> MetricsServer:
    from crawler.monitor.metrics import MetricsServer, registry_for

    runner.load_totals()
    registry = registry_for(lambda: runner.totals)
    return MetricsServer(args.metrics_port, registry, lambda: runner.alive(args.tick)).start()

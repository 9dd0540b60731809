"""``crawler crawl SPIDER --workers N``: N worker processes on this machine, one cluster crawl.

One Python process holds one core. Past that, the crawl needs more processes, and they must
share what makes it polite (the frontier, each host's clock, robots.txt verdicts and the
duplicate filter), or each would keep its own pace per host. That sharing is the cluster's
(``crawler/cluster/``): this module only starts N ordinary cluster workers
(``scrapy crawl SPIDER -s REDIS_URL=...``) and looks after them:

- Redis is ``REDIS_URL`` (``-s`` or the environment); without one, a private
  ``redis-server`` on loopback (a free port, a temporary folder, nothing saved) is started
  for the crawl, said in one line and stopped at the end;
- without ``-a crawl=NAME`` the crawl gets a name of its own, so a run never resumes
  another run's frontier on a shared Redis; that name's keys are deleted at the end;
- SIGINT and SIGTERM are passed on to every worker (each in its own process group, so a
  terminal's Ctrl-C reaches a worker once, through here): Scrapy's graceful stop, and a
  second one its forced stop, as for one process;
- the exit code is the worst of the workers' (see :func:`worst`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType

from crawler.logsafe import mask_url

__all__ = ["PrivateRedis", "WorkerPlan", "run_workers", "worst"]

logger = logging.getLogger(__name__)

_SEVERITY = {0: 0, 3: 1, 4: 2, 1: 3, 2: 4}
"""Exit codes from best to worst: ok, partial, refused, failed, usage."""
_REDIS_START_TIMEOUT = 10.0


def worst(codes: Sequence[int]) -> int:
    """The exit code of the whole crawl: the worst of its workers'. A worker that died
    (a signal, an unknown code) counts as failed."""
    if not codes:
        return 1
    known = [code if code in _SEVERITY else 1 for code in codes]
    return max(known, key=_SEVERITY.__getitem__)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrivateRedis:
    """A ``redis-server`` of this crawl's own, on loopback, in a temporary folder, saving
    nothing; gone when the crawl ends."""

    def __init__(self, executable: str | None = None) -> None:
        found = executable or shutil.which("redis-server")
        if found is None:
            raise FileNotFoundError(
                "--workers needs Redis: set REDIS_URL, or install redis-server "
                "(apt-get install redis-server) so that the crawl can start its own"
            )
        self.executable = found
        self.folder = tempfile.mkdtemp(prefix="crawler-redis-")
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        import redis

        for _attempt in range(5):  # a free port may be taken between the look and the bind
            self.port = _free_port()
            self.process = subprocess.Popen(
                [self.executable, "--bind", "127.0.0.1", "--port", str(self.port),
                 "--dir", self.folder, "--save", "", "--appendonly", "no",
                 "--protected-mode", "yes", "--loglevel", "warning", "--maxclients", "10000"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # a terminal's Ctrl-C must not stop it under the workers
            )  # fmt: skip
            client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
            deadline = time.monotonic() + _REDIS_START_TIMEOUT
            try:
                while self.process.poll() is None and time.monotonic() < deadline:
                    with contextlib.suppress(redis.RedisError):
                        if client.ping():
                            return self
                    time.sleep(0.02)
            finally:
                client.close()
            self.stop()
        raise RuntimeError(f"could not start {self.executable} on a free loopback port")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class WorkerPlan:
    """What every worker is started with: ``scrapy crawl`` arguments, without ``--workers``."""

    spider: str
    workers: int
    spider_args: dict[str, str]
    settings: list[str]
    """``NAME=VALUE`` pairs, as given with ``-s``."""
    global_options: list[str] = field(default_factory=list)
    """``--logfile``, ``-L``, ``--nolog`` as given."""

    def argv(self, redis_url: str, crawl: str) -> list[str]:
        args = [sys.executable, "-m", "scrapy", "crawl", self.spider, *self.global_options]
        for name, value in {**self.spider_args, "crawl": crawl}.items():
            args += ["-a", f"{name}={value}"]
        for setting in self.settings:
            if setting.split("=", 1)[0] != "REDIS_URL":
                args += ["-s", setting]
        return [*args, "-s", f"REDIS_URL={redis_url}"]


@contextlib.contextmanager
def _passing_on(workers: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    """While the workers run, SIGINT and SIGTERM received here go to each of them."""

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        for worker in workers:
            if worker.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.send_signal(signum)

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _reset_crawl(redis_url: str, prefix: str, crawl: str) -> None:
    """Delete the keys of a crawl whose name this run made up (nobody can resume it)."""
    import redis

    from crawler.cluster.frontier import Frontier
    from crawler.cluster.keys import CrawlKeys

    client = redis.Redis.from_url(redis_url)
    try:
        Frontier(client, CrawlKeys(prefix, crawl), lease_timeout=60.0).reset()
    except redis.RedisError as exc:
        logger.warning("Could not delete the keys of crawl %r: %s", crawl, exc)
    finally:
        client.close()


def run_workers(plan: WorkerPlan, redis_url: str | None, key_prefix: str) -> int:
    """Run the crawl in ``plan.workers`` processes; the worst of their exit codes."""
    private = None if redis_url else PrivateRedis().start()
    url = redis_url or (private.url if private else "")
    named = plan.spider_args.get("crawl")
    crawl = named or f"{plan.spider}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    shown = mask_url(url)
    where = f"a private Redis at {shown} (stopped at the end)" if private else f"Redis at {shown}"
    # One line on stderr whatever LOG_LEVEL says: where the crawl's shared state lives.
    print(f"crawler: {plan.workers} workers sharing {where}, crawl {crawl!r}", file=sys.stderr)
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": os.environ.get(
        "SCRAPY_SETTINGS_MODULE", "crawler.settings")}  # fmt: skip
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with _passing_on(workers):
            for _n in range(plan.workers):
                workers.append(
                    subprocess.Popen(plan.argv(url, crawl), env=env, start_new_session=True)
                )
            codes = [worker.wait() for worker in workers]
    finally:
        for worker in workers:  # only after an error here: make sure none is left running
            if worker.poll() is None:
                worker.terminate()
                worker.wait()
        if named is None and private is None:
            _reset_crawl(url, key_prefix, crawl)
        if private is not None:
            private.remove()
    code = worst(codes)
    print(f"crawler: workers' exit codes {', '.join(map(str, codes))}: {code}", file=sys.stderr)
    return code

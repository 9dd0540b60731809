"""Crawls started over HTTP: ``POST /api/v1/crawls``, followed at ``GET /api/v1/crawls/{id}``,
cancelled by ``DELETE``. They exist only with ``crawler serve --allow-crawls`` and need a key.

A job is a row of ``crawl_jobs``; its crawl writes its ``crawl_runs`` row under the name
``job:<id>``, so the runs page shows it, and the job's status is the run's outcome (``ok``,
``partial``, ``failed``, ``refused``). Two engines run them:

- the *local runner*: a thread of the serve process that runs one job at a time, as
  ``crawler crawl SPIDER -a ... -s ...`` in a process of its own (the same command, the same
  settings and politeness, the same outcome codes). Every worker process has one; a job is
  claimed by one statement that also checks no job is running, so one crawl runs at a time
  whatever the number of workers.
- scrapyd, when ``SCRAPYD_URL`` is set: the job is scheduled there at once (``schedule.json``
  with the job's id), followed with ``listjobs.json`` and cancelled with ``cancel.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from crawler.monitor.outcome import Outcome
from crawler.serve.crawl_settings import check_arguments, check_settings
from crawler.serve.keys import require_key
from crawler.store.models import CrawlJob, CrawlRun
from crawler.store.runs import latest_crawl_run, record_crawl_run

__all__ = ["JobConfig", "LocalRunner", "Scrapyd", "router"]

logger = logging.getLogger(__name__)

FINAL = frozenset({*(o.value for o in Outcome), "cancelled"})
LOG_LINES = 20
"""Lines of the crawl's log a job's answer ends with."""
STOP_GRACE = 10.0
"""Seconds a cancelled crawl has after SIGINT before a second SIGINT (Scrapy's forced
stop), and after that before it is killed."""

Scalar = str | int | float | bool


class JobBody(BaseModel):
    spider: str = Field(min_length=1, max_length=100, description="a spider: sets, exports")
    args: dict[str, Scalar] = Field(default_factory=dict, description="its -a arguments")
    settings: dict[str, Scalar] = Field(
        default_factory=dict,
        description="-s settings; none that lifts a politeness rule or the private-address"
        " guard beyond what the server was started with",
    )


class JobConfig:
    """What the write side of the server needs: where to write, how to check, what runs."""

    def __init__(
        self,
        database_url: str,
        jobs_dir: Path,
        spiders: set[str],
        known: set[str],
        server_settings: Mapping[str, Any],
        started_with: Mapping[str, str],
        scrapyd: Scrapyd | None = None,
    ) -> None:
        from crawler.store.db import create_store_engine

        self.database_url = database_url
        self.writer = sessionmaker(create_store_engine(database_url), expire_on_commit=False)
        self.jobs_dir = jobs_dir
        self.spiders = spiders
        self.known = known
        self.server_settings = dict(server_settings)
        self.started_with = dict(started_with)
        """``crawler serve -s`` settings: every job's crawl gets them."""
        self.scrapyd = scrapyd
        self.runner: LocalRunner | None = None
        canonical = json.dumps(sorted(self.started_with.items()), separators=(",", ":"))
        self.server = hashlib.sha256(canonical.encode()).hexdigest()
        """Which servers may run this one's jobs: those started with the same settings
        (several ``crawler serve`` on one store may differ, say in ALLOW_PRIVATE_HOSTS)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def run_name(job_id: str) -> str:
    return f"job:{job_id}"


# --- The answer ------------------------------------------------------------------------


def _tail(path: str | None, lines: int = LOG_LINES) -> list[str]:
    if not path or not Path(path).is_file():
        return []
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64 * 1024))
        return f.read().decode("utf-8", "replace").splitlines()[-lines:]


def job_answer(db: Session, job: CrawlJob) -> dict[str, Any]:
    run = db.get(CrawlRun, job.run_id) if job.run_id else latest_crawl_run(db, run_name(job.id))
    stats = dict(run.stats or {}) if run else {}
    return {
        "id": job.id,
        "status": job.status,
        "spider": job.spider,
        "args": job.args,
        "settings": job.settings,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "cancel_requested": job.cancel_requested,
        "run": None if run is None else {
            "id": run.id,
            "outcome": run.outcome,
            "finish_reason": run.finish_reason,
            "counts": {k: v for k, v in stats.items() if isinstance(v, int | float)},
            "politeness": dict(run.politeness or {}),
        },
        "log": _tail(job.log_path),
    }  # fmt: skip


# --- The local runner ------------------------------------------------------------------


class LocalRunner:
    """Runs queued jobs one at a time as ``crawler crawl`` processes (see the module)."""

    def __init__(self, config: JobConfig, tick: float = 0.5) -> None:
        self.config = config
        self.tick = tick
        self.me = f"serve pid {os.getpid()} on {socket.gethostname()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._job: str | None = None
        self._signalled_at: float | None = None
        self._forced = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="crawl-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop; a running crawl is asked to stop (it records its run)."""
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._finish()
        if self._thread is not None:
            self._thread.join(STOP_GRACE + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._proc is None:
                    self._claim()
                else:
                    self._watch()
            except Exception:  # the loop outlives a store that is briefly away
                logger.exception("Crawl jobs: runner error")
            self._stop.wait(self.tick)

    def command(self, job: CrawlJob) -> list[str]:
        cmd = [sys.executable, "-m", "crawler", "crawl", job.spider]
        for key, value in job.args.items():
            cmd += ["-a", f"{key}={value}"]
        settings: dict[str, Any] = {**self.config.started_with, **job.settings}
        settings |= {
            "CRAWL_NAME": run_name(job.id),
            "DATABASE_URL": self.config.database_url,
            "LOG_FILE": job.log_path,
            "PROGRESS_BAR": False,
        }
        for key, value in settings.items():
            cmd += ["-s", f"{key}={value}"]
        return cmd

    def _ours(self) -> ColumnElement[bool]:
        """Jobs this runner may take: those taken by a server started with its settings
        (and those from before the store kept that)."""
        return or_(CrawlJob.server == self.config.server, CrawlJob.server.is_(None))

    def _claim(self) -> None:
        running = aliased(CrawlJob)
        first = (
            select(CrawlJob.id)
            .where(CrawlJob.status == "queued", CrawlJob.runner.is_(None), self._ours())
            .order_by(CrawlJob.created_at, CrawlJob.id)
            .limit(1)
            .scalar_subquery()
        )
        with self.config.writer() as db:  # a read first: no write lock while idle
            waiting = select(CrawlJob.id).where(CrawlJob.status == "queued", self._ours()).limit(1)
            if db.scalar(waiting) is None:
                return
        with self.config.writer.begin() as db:
            if db.get_bind().dialect.name == "postgresql":
                db.execute(select(_advisory_lock()))
            claimed = db.execute(
                update(CrawlJob)
                .where(CrawlJob.id == first)
                .where(~exists().where(and_(running.status == "running")))
                .values(status="running", runner=self.me, started_at=_now())
                .execution_options(synchronize_session=False)
            )
        if not cast(CursorResult[Any], claimed).rowcount:
            self._reap_orphans()
            return
        with self.config.writer.begin() as db:
            job = db.scalar(
                select(CrawlJob).where(CrawlJob.status == "running", CrawlJob.runner == self.me)
            )
            if job is None:
                return
            self.config.jobs_dir.mkdir(parents=True, exist_ok=True)
            job.log_path = str((self.config.jobs_dir / f"{job.id}.log").resolve())
            cmd = self.command(job)
            self._job = job.id
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        logger.info("Crawl job %s: %s", self._job, " ".join(cmd[3:]))
        self._proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self._signalled_at = None

    def _watch(self) -> None:
        assert self._proc is not None
        if self._proc.poll() is not None:
            self._finish()
            return
        with self.config.writer() as db:
            cancel = db.scalar(select(CrawlJob.cancel_requested).where(CrawlJob.id == self._job))
        if cancel and self._signalled_at is None:
            logger.info("Crawl job %s: cancelled, stopping it", self._job)
            self._proc.send_signal(signal.SIGINT)
            self._signalled_at, self._forced = time.monotonic(), False
        elif self._signalled_at and time.monotonic() - self._signalled_at > STOP_GRACE:
            if not self._forced:
                logger.warning("Crawl job %s: still closing, forcing it", self._job)
                self._proc.send_signal(signal.SIGINT)
                self._signalled_at, self._forced = time.monotonic(), True
            else:
                self._proc.kill()

    def _finish(self) -> None:
        assert self._proc is not None and self._job is not None
        code = self._proc.wait()
        with self.config.writer.begin() as db:
            job = db.get(CrawlJob, self._job)
            assert job is not None
            run = latest_crawl_run(db, run_name(job.id))
            if run is None:  # killed, crashed, or could not start: the run failed
                reason = f"killed by signal {-code}" if code < 0 else f"died (exit code {code})"
                if job.cancel_requested:
                    reason = f"cancelled, stopped by force ({reason})"
                run_id = record_crawl_run(
                    db, spider=job.spider, name=run_name(job.id),
                    started_at=job.started_at or _now(), finished_at=_now(), stats={},
                    politeness={}, finish_reason=reason, outcome=Outcome.FAILED.value,
                )  # fmt: skip
                run = db.get(CrawlRun, run_id)
            assert run is not None
            job.status = run.outcome or Outcome.FAILED.value
            job.run_id, job.exit_code, job.finished_at = run.id, code, _now()
            logger.info("Crawl job %s ended: %s (exit code %d)", job.id, job.status, code)
        self._proc, self._job = None, None

    def _reap_orphans(self) -> None:
        """A job left ``running`` by a serve process of this host that is gone: failed."""
        host = socket.gethostname()
        with self.config.writer.begin() as db:
            for job in db.scalars(select(CrawlJob).where(CrawlJob.status == "running")):
                pid, _, on = (job.runner or "").removeprefix("serve pid ").partition(" on ")
                if on == host and pid.isdigit() and not _alive(int(pid)):
                    job.status, job.finished_at = Outcome.FAILED.value, _now()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _advisory_lock() -> Any:
    from sqlalchemy import func

    return func.pg_advisory_xact_lock(0x7CA71_0B5)


# --- scrapyd ---------------------------------------------------------------------------


class Scrapyd:
    """Jobs run by scrapyd at ``url`` (its JSON API), in its ``project``."""

    def __init__(self, url: str, project: str = "crawler") -> None:
        self.url = url.rstrip("/") + "/"
        self.project = project

    def _call(self, endpoint: str, data: list[tuple[str, str]] | None = None) -> Any:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with urllib.request.urlopen(self.url + endpoint, data=body, timeout=10) as reply:
            answer = json.loads(reply.read())
        if answer.get("status") != "ok":
            raise RuntimeError(f"scrapyd {endpoint}: {answer.get('message', answer)}")
        return answer

    def schedule(self, job: CrawlJob, config: JobConfig) -> None:
        settings: dict[str, Any] = {**config.started_with, **job.settings}
        settings |= {"CRAWL_NAME": run_name(job.id), "DATABASE_URL": config.database_url}
        data = [("project", self.project), ("spider", job.spider), ("jobid", job.id)]
        data += [("setting", f"{k}={v}") for k, v in settings.items()]
        data += [(k, str(v)) for k, v in job.args.items()]
        self._call("schedule.json", data)
        job.runner = f"scrapyd {self.url} job {job.id}"

    def state(self, job_id: str) -> str | None:
        """``pending``, ``running``, ``finished`` or None (scrapyd does not know it)."""
        jobs = self._call(f"listjobs.json?project={urllib.parse.quote(self.project)}")
        for state in ("pending", "running", "finished"):
            if any(j.get("id") == job_id for j in jobs.get(state, [])):
                return state
        return None

    def cancel(self, job_id: str) -> None:
        self._call("cancel.json", [("project", self.project), ("job", job_id)])

    def log_url(self, job: CrawlJob) -> str:
        return f"{self.url}logs/{self.project}/{job.spider}/{job.id}.log"

    def log_tail(self, job: CrawlJob, lines: int = LOG_LINES) -> list[str]:
        """The last lines of the job's log, as scrapyd serves it (none before it starts)."""
        url = self.log_url(job)
        try:
            # Its size first: Twisted answers 500 to a suffix range longer than the file.
            with urllib.request.urlopen(
                urllib.request.Request(url, method="HEAD"), timeout=10
            ) as r:
                size = int(r.headers.get("Content-Length") or 0)
            ranged = {"Range": f"bytes={size - 65536}-"} if size > 65536 else {}
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=ranged), timeout=10
            ) as r:
                text: str = r.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return []
        return text.splitlines()[-lines:]


def _follow_scrapyd(db: Session, job: CrawlJob, scrapyd: Scrapyd) -> None:
    """Bring a scrapyd job's row up to date with scrapyd and its ``crawl_runs`` row."""
    if job.status in FINAL:
        return
    state = scrapyd.state(job.id)
    if state == "running" and job.status == "queued":
        job.status, job.started_at = "running", _now()
    elif state in ("finished", None):
        run = latest_crawl_run(db, run_name(job.id))
        if run is None and state is None:
            return  # not yet listed
        job.status = (run.outcome if run else None) or Outcome.FAILED.value
        job.run_id = run.id if run else None
        job.finished_at = _now()


# --- The endpoints ---------------------------------------------------------------------

router = APIRouter(prefix="/api/v1/crawls", tags=["crawls"])
Key = Annotated[str, Depends(require_key)]
_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No key, a wrong key or a revoked key: nothing was done"},
    404: {"description": "No such job"},
}


def _config(request: Request) -> JobConfig:
    config: JobConfig = request.app.state.jobs
    return config


@router.post("", status_code=202, summary="Start a crawl", responses=_AUTH)
def start_crawl(request: Request, body: JobBody, key: Key) -> JSONResponse:
    """Queues the crawl (or hands it to scrapyd) and answers its ``id`` and ``status``."""
    config = _config(request)
    if body.spider not in config.spiders:
        raise HTTPException(422, f"no spider {body.spider!r}: {', '.join(sorted(config.spiders))}")
    problems = check_arguments(body.spider, body.args)
    problems += check_settings(body.settings, config.server_settings, config.known)
    if problems:
        raise HTTPException(422, "; ".join(problems))
    job = CrawlJob(
        id=uuid.uuid4().hex, spider=body.spider, args=dict(body.args),
        settings=dict(body.settings), key_name=key, status="queued", created_at=_now(),
        cancel_requested=False, server=config.server,
    )  # fmt: skip
    with config.writer.begin() as db:
        if config.scrapyd is not None:
            try:
                config.scrapyd.schedule(job, config)
            except (OSError, RuntimeError) as exc:
                raise HTTPException(503, f"scrapyd did not take the job: {exc}") from exc
            job.log_path = config.scrapyd.log_url(job)
        db.add(job)
        db.flush()
        answer = job_answer(db, job)
    return JSONResponse(answer, 202, headers={"Location": f"{request.url.path}/{job.id}"})


def _job(db: Session, job_id: str) -> CrawlJob:
    # ids are 32 characters: a longer one is no job's (cut to 32, it found one), and is
    # not repeated back whole
    job = db.get(CrawlJob, job_id) if len(job_id) <= 32 else None
    if job is None:
        shown = job_id if len(job_id) <= 40 else job_id[:40] + "…"
        raise HTTPException(404, f"no crawl job {shown!r}")
    return job


@router.get("/{job_id}", summary="A crawl's status, counts, politeness and last log lines",
            responses=_AUTH)  # fmt: skip
def crawl_status(request: Request, job_id: str, key: Key) -> JSONResponse:
    config = _config(request)
    with config.writer.begin() as db:
        job = _job(db, job_id)
        if config.scrapyd is not None:
            try:
                _follow_scrapyd(db, job, config.scrapyd)
            except (OSError, RuntimeError) as exc:
                logger.warning("scrapyd did not answer for job %s: %s", job.id, exc)
        answer = job_answer(db, job)
        if config.scrapyd is not None:  # scrapyd keeps the log
            answer["log"] = config.scrapyd.log_tail(job)
            answer["log_url"] = job.log_path
    return JSONResponse(answer)


@router.delete("/{job_id}", status_code=202, summary="Cancel a crawl", responses=_AUTH)
def cancel_crawl(request: Request, job_id: str, key: Key) -> JSONResponse:
    """A queued job is cancelled at once; a running one is asked to stop (it ends
    ``partial``, its sets so far stored). A finished job answers 409."""
    config = _config(request)
    with config.writer.begin() as db:
        job = _job(db, job_id)
        if job.status in FINAL:
            raise HTTPException(409, f"job {job.id} has ended: {job.status}")
        job.cancel_requested = True
        if config.scrapyd is not None:
            try:
                config.scrapyd.cancel(job.id)
            except (OSError, RuntimeError) as exc:
                raise HTTPException(503, f"scrapyd did not cancel the job: {exc}") from exc
        elif job.status == "queued":
            job.status, job.finished_at = "cancelled", _now()
        answer = job_answer(db, job)
    return JSONResponse(answer, 202)

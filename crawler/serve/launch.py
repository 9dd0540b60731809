"""How ``crawler serve`` builds its app in each uvicorn worker process.

With several workers uvicorn imports the app in every process, so the options travel as
one JSON value in the environment (:data:`ENV`) and :func:`app_from_environment` is the
factory uvicorn calls.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fastapi import FastAPI

__all__ = ["ENV", "ServeOptions", "app_from_environment", "build_app"]

ENV = "CRAWLER_SERVE_OPTIONS"


@dataclass
class ServeOptions:
    database: str
    allow_crawls: bool = False
    rate_limit: str | None = None
    crawl_settings: dict[str, str] = field(default_factory=dict)
    """``crawler serve -s NAME=VALUE``: given to every crawl job."""
    jobs_dir: str = "data/serve-jobs"
    scrapyd_url: str | None = None
    scrapyd_project: str = "crawler"
    answers_dir: str | None = None
    """Where the workers share the answers they computed (a folder of the serve command's)."""
    rate_limit_file: str | None = None
    """Where the workers share the rate limit's buckets (a file of the serve command's)."""

    def to_env(self) -> str:
        return json.dumps(asdict(self))


def build_app(options: ServeOptions) -> FastAPI:
    from crawler.serve.app import create_app
    from crawler.serve.ratelimit import parse_rate

    jobs = None
    if options.allow_crawls:
        _job_lines_to_stderr()
        from crawler.serve.crawl_settings import baseline, known_settings
        from crawler.serve.jobs import JobConfig, Scrapyd

        jobs = JobConfig(
            database_url=options.database,
            jobs_dir=Path(options.jobs_dir),
            spiders=_spiders(),
            known=known_settings(),
            server_settings=baseline(options.crawl_settings),
            started_with=options.crawl_settings,
            scrapyd=(
                Scrapyd(options.scrapyd_url, options.scrapyd_project)
                if options.scrapyd_url
                else None
            ),
        )
    limit = parse_rate(options.rate_limit) if options.rate_limit else None
    answers = Path(options.answers_dir) if options.answers_dir else None
    buckets = Path(options.rate_limit_file) if options.rate_limit_file else None
    return create_app(options.database, jobs=jobs, rate_limit=limit, answers_dir=answers,
                      rate_limit_file=buckets)  # fmt: skip


def _job_lines_to_stderr() -> None:
    """The runner's lines (a job started, its command, how it ended) beside uvicorn's, in
    its format: uvicorn configures its own loggers only, so they went nowhere."""
    import logging

    jobs = logging.getLogger("crawler.serve.jobs")
    if not any(getattr(h, "_crawler_jobs", False) for h in jobs.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        handler._crawler_jobs = True  # type: ignore[attr-defined]
        jobs.addHandler(handler)
    jobs.setLevel(logging.INFO)


def _spiders() -> set[str]:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    return set(SpiderLoader.from_settings(get_project_settings()).list())


def app_from_environment() -> FastAPI:
    """The app of one uvicorn worker, from the options in :data:`ENV`."""
    return build_app(ServeOptions(**json.loads(os.environ[ENV])))

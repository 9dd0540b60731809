"""A schedule of three crawls, run as users run it: a working loopback site, a port that
refuses connections, and a site whose pages lost their markup. ``schedule run --forever
--metrics-port`` runs them; ``/metrics`` is scraped over HTTP and parsed;
``schedule status --json`` and its exit codes are checked."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT, run_cli, run_scrapy
from tests.monitor.site import MixesSite, refusing_port
from tests.monitor.test_crawl_exit_codes import FAST

METRICS = {
    "crawler_last_run_timestamp_seconds",
    "crawler_last_success_timestamp_seconds",
    "crawler_run_outcome",
    "crawler_pages_fetched",
    "crawler_sets_stored",
    "crawler_requests_refused",
    "crawler_retry_after_pauses",
    "crawler_extraction_pages",
    "crawler_extraction_empty_pages",
}


@pytest.fixture
def sites() -> Iterator[tuple[MixesSite, MixesSite]]:
    with MixesSite("127.0.0.41") as good, MixesSite("127.0.0.42") as changing:
        yield good, changing


def write_schedule(path: Path, good: str, down: str, changed: str, down_extra: str = "") -> None:
    pairs = (setting.split("=", 1) for setting in FAST)
    settings = "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in pairs) + " }"
    text = 'database = "sqlite:///crawler.db"\n'
    for name, url, extra in (("good", good, ""), ("down", down, down_extra),
                             ("changed", changed, "")):  # fmt: skip
        text += f"""
[crawls.{name}]
spider = "sets"
cron = "0 3 * * *"
args = {{ start_urls = "{url}", sitemaps = "0" }}
settings = {settings}
{extra}
"""
    path.write_text(text)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(check, timeout: float = 90):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            if value := check():
                return value
        except OSError:
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return out, {f.name for f in text_string_to_metric_families(text)}  # type: ignore[return-value]


def test_schedule_outcomes_status_and_metrics(
    tmp_path: Path, sites: tuple[MixesSite, MixesSite]
) -> None:
    good, changing = sites
    down = f"http://127.0.0.43:{refusing_port('127.0.0.43')}/"
    path = tmp_path / "schedule.toml"
    write_schedule(path, good.url("/"), down, changing.url("/"))
    # The changing site was crawled once before it was scheduled: the store knows its sets.
    db = tmp_path / "crawler.db"
    seed = ["crawl", "sets", "-a", f"start_urls={changing.url('/')}", "-a", "sitemaps=0"]
    for setting in (*FAST, f"DATABASE_URL=sqlite:///{db}"):
        seed += ["-s", setting]
    assert run_scrapy(*seed).returncode == 0
    changing.changed = True  # ...and then it changed its layout

    before = run_cli("schedule", "status", "-f", str(path), "--json")
    assert before.returncode == 0, before.stderr
    assert [c["last_outcome"] for c in json.loads(before.stdout)] == [None, None, None]

    port = refusing_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "schedule", "run", "--forever", "--tick", "0.5",
         "--metrics-port", str(port), "-f", str(path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: get(base + "/healthz")[0] == 200)

        def all_ran() -> str | None:
            status, text = get(base + "/metrics")
            values, _ = samples(text)
            runs = sum(v for (n, _), v in values.items() if n == "crawler_run_outcome_total")
            return text if status == 200 and runs == 3 else None

        text = wait_for(all_ran)
        values, families = samples(text)
        assert families == METRICS
        assert get(base + "/healthz") == (200, "ok\n")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-3000:]

    def value(name: str, **labels: str) -> float:
        return values[name, tuple(sorted(labels.items()))]

    assert value("crawler_run_outcome_total", crawl="good", outcome="ok") == 1
    assert value("crawler_run_outcome_total", crawl="good", outcome="failed") == 0
    assert value("crawler_run_outcome_total", crawl="down", outcome="failed") == 1
    assert value("crawler_run_outcome_total", crawl="changed", outcome="partial") == 1
    assert value("crawler_sets_stored_total", crawl="good") == 12
    assert value("crawler_pages_fetched_total", crawl="good") >= 13
    assert value("crawler_pages_fetched_total", crawl="down") == 0
    assert value("crawler_requests_refused_total", crawl="good", reason="robots") == 0
    assert value("crawler_retry_after_pauses_total", crawl="good") == 0
    site = "127.0.0.42"
    assert value("crawler_extraction_pages_total", crawl="changed", site=site) == 12
    assert value("crawler_extraction_empty_pages_total", crawl="changed", site=site) == 12
    assert value("crawler_last_success_timestamp_seconds", crawl="good") > time.time() - 300
    assert ("crawler_last_success_timestamp_seconds", (("crawl", "down"),)) not in values
    assert value("crawler_last_run_timestamp_seconds", crawl="down") > time.time() - 300
    for name in ("good", "down", "changed"):
        assert f"Running crawl {name}: spider sets" in err
    assert "good: ok (finished, exit code 0)" in out
    assert "down: failed (finished, exit code 1)" in out
    assert "changed: partial (finished, exit code 3)" in out
    log = (tmp_path / "data/schedule/changed/crawl.log").read_text()
    assert (
        f"{site}: 12 of 12 set pages gave no tracklist — the site's markup may have changed" in log
    )

    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT name, outcome FROM crawl_runs WHERE name IS NOT NULL"))
    assert rows == {"good": "ok", "down": "failed", "changed": "partial"}

    # status: a failed last run exits 1; nothing is stale yet (three days for a daily cron)
    status = run_cli("schedule", "status", "-f", str(path), "--json")
    assert status.returncode == 1, status.stderr
    crawls = {c["name"]: c for c in json.loads(status.stdout)}
    assert all(
        list(c) == ["name", "spider", "last_outcome", "last_run_at", "last_success_at",
                    "next_due_at", "stale"]
        for c in crawls.values()
    )  # fmt: skip
    assert {n: (c["last_outcome"], c["stale"]) for n, c in crawls.items()} == {
        "good": ("ok", False), "down": ("failed", False), "changed": ("partial", False)
    }  # fmt: skip
    assert crawls["down"]["last_success_at"] is None
    assert crawls["good"]["last_success_at"].endswith("+00:00")
    assert crawls["good"]["next_due_at"].endswith("03:00:00+00:00")
    assert run_cli("schedule", "list", "-f", str(path)).returncode == 1

    # the crawl that never succeeded, with stale_after = 1 s: stale once its first run + 1 s
    write_schedule(path, good.url("/"), down, changing.url("/"), down_extra='stale_after = "1s"')
    time.sleep(1.2)
    status = run_cli("schedule", "status", "-f", str(path), "--json")
    assert status.returncode == 2, status.stderr
    stale = {c["name"]: c["stale"] for c in json.loads(status.stdout)}
    assert stale == {"good": False, "down": True, "changed": False}
    plain = run_cli("schedule", "status", "-f", str(path))
    assert plain.returncode == 2 and "STALE" in plain.stdout
    assert run_cli("schedule", "list", "-f", str(path)).returncode == 2

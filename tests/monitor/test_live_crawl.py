"""While a crawl runs: ``METRICS_PORT`` serves its metrics, progress shows as log lines
without a terminal and as a live line on one (a pseudo-terminal here)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.monitor.site import MixesSite, refusing_port
from tests.monitor.test_crawl_exit_codes import FAST, crawl
from tests.monitor.test_schedule_health import get


@pytest.fixture
def site() -> Iterator[MixesSite]:
    with MixesSite("127.0.0.51") as s:
        yield s


def _command(site: MixesSite, db: Path, *settings: str) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"start_urls={site.url('/')}",
           "-a", "sitemaps=0"]  # fmt: skip
    for setting in (*FAST, f"DATABASE_URL=sqlite:///{db}", *settings):
        cmd += ["-s", setting]
    return cmd


def test_metrics_port_serves_a_single_crawl(tmp_path: Path, site: MixesSite) -> None:
    port = refusing_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = _command(site, tmp_path / "c.db", f"METRICS_PORT={port}", "CRAWL_DELAY_DEFAULT=0.3",
                   "CRAWL_NAME=radio")  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, text = get(f"http://127.0.0.1:{port}/metrics")
                if status == 200 and 'crawl="radio"' in text:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        assert get(f"http://127.0.0.1:{port}/healthz") == (200, "ok\n")
        names = {f.name for f in text_string_to_metric_families(text)}
        assert {"crawler_pages_fetched", "crawler_run_outcome", "crawler_sets_stored"} <= names
    finally:
        assert proc.wait(timeout=60) == 0
    with pytest.raises(OSError):  # the crawl is over: so is its server
        get(f"http://127.0.0.1:{port}/metrics")


def test_progress_log_lines_without_a_terminal(tmp_path: Path, site: MixesSite) -> None:
    result = crawl(site.url("/"), tmp_path / "c.db", "PROGRESS_LOG_SECONDS=0.2",
                   "CRAWL_DELAY_DEFAULT=0.1")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [ln for ln in result.stderr.splitlines() if "] INFO: Progress: " in ln]
    assert len(lines) >= 3
    assert re.search(
        r"Progress: \d+ pages fetched, \d+ queued, \d+ sets, hosts \d+ active / \d+ waiting for "
        r"their turn, 0 Retry-After pauses, 0 errors$",
        lines[-1],
    )
    # with a 0.1 s Crawl-delay the single host mostly waits for its turn
    assert any("hosts 0 active / 1 waiting" in ln for ln in lines)


def test_a_live_line_on_a_terminal(tmp_path: Path, site: MixesSite) -> None:
    master, slave = pty.openpty()
    # a fresh pseudo-terminal is 0 columns wide: give it a real terminal's size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = _command(site, tmp_path / "c.db", "CRAWL_DELAY_DEFAULT=0.1", "LOG_LEVEL=WARNING")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        try:
            chunk = os.read(master, 65536) if ready else b""
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = seen.decode("utf-8", "replace")
    assert "\r" in text and "pages fetched" in text and "sets" in text
    assert "Progress: " not in text  # a live line, not log lines

"""``python -m crawler serve`` as a user runs it: a real process on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, run_cli


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_command_answers_over_http(sqlite_store: str, workers: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--database", sqlite_store, "--port", "0",
         "--workers", workers],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        deadline, url = time.monotonic() + 60, None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "crawler serve exited"
            if found := re.search(r"running on (http://127\.0\.0\.1:\d+)", line):
                url = found.group(1)
        assert url, "crawler serve did not say where it listens"
        while True:  # with several workers, the socket listens once a worker is up
            try:
                health = httpx.get(url + "/healthz", timeout=30)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        found = httpx.get(url + "/api/v1/search", params={"q": "bicep"}, timeout=30).json()
        assert [d["name"] for d in found["djs"]] == ["Bicep"]
        # Every worker answers the same ETag, and 304 to it
        tags = {httpx.get(url + "/api/v1/stats", timeout=30).headers["etag"] for _ in range(6)}
        assert len(tags) == 1
        again = httpx.get(url + "/api/v1/stats", headers={"If-None-Match": tags.pop()}, timeout=30)
        assert again.status_code == 304
    finally:
        proc.terminate()
        proc.wait(20)
        if proc.stderr is not None:
            proc.stderr.close()


def test_serve_refuses_a_store_that_is_not_there(tmp_path: Path) -> None:
    result = run_cli("serve", "--database", f"sqlite:///{tmp_path}/nothing.db")
    assert result.returncode == 2
    assert "no store at" in result.stderr
    assert not (tmp_path / "nothing.db").exists()

"""``crawler export -o - | head -1``: the reader goes away after one line, the export stops
quietly (no traceback, exit 0) whatever is still to write.

A real shell pipe to a real ``head``, in a subprocess, from a store of 400 sets: far more
than a pipe's buffer (64 KiB), so the export is still writing when ``head`` exits.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from crawler.items import DJSet, TrackEntry
from crawler.normalize import normalize_set
from crawler.store.db import session_factory
from crawler.store.sets import store_sets
from tests.conftest import FIXTURES, ROOT

SETS = 400


def real_set() -> DJSet:
    """A Traktor history from the fixtures (its expected items)."""
    raw = json.loads((FIXTURES / "exports" / "traktor_history.expected.json").read_text())[0]
    tracks = [TrackEntry(**t) for t in raw.pop("tracks")]
    return DJSet(**{**raw, "tracks": tracks})


def make_store(path: Path) -> str:
    url = f"sqlite:///{path}"
    base = real_set()
    sets = [
        normalize_set(dataclasses.replace(base, url=f"file:///history/{n}.nml", title=f"Set {n}"))
        for n in range(SETS)
    ]
    with session_factory(url).begin() as session:
        store_sets(session, sets, datetime(2026, 12, 1))
    return url


def test_export_to_head_closes_quietly(tmp_path: Path) -> None:
    url = make_store(tmp_path / "store.db")
    command = f"'{sys.executable}' -m crawler export --database '{url}' -o - | head -1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # pipefail: the export's own exit status
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["title"].startswith("Set ")
    # the whole export, for scale: many times a pipe's buffer
    full = subprocess.run(
        [sys.executable, "-m", "crawler", "export", "--database", url, "-o", "-"],
        cwd=ROOT, capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert len(full.stdout.splitlines()) == SETS
    assert len(full.stdout) > 4 * 65536

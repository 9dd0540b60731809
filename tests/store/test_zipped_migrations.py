"""Migrations run from a zipped package, as from scrapyd's egg: read as package resources."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import crawler

PACKAGE = Path(crawler.__file__).parent

SCRIPT = """
import sys
from pathlib import Path
import crawler.store.db as db
assert ".zip" in db.__file__, db.__file__
assert not isinstance(db.MIGRATIONS, Path)
db.session_factory(sys.argv[1])
"""


def test_a_store_is_migrated_from_a_zipped_package(tmp_path: Path) -> None:
    archive = tmp_path / "crawler.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in PACKAGE.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, Path("crawler") / path.relative_to(PACKAGE))
    database = tmp_path / "store.db"
    env = {**os.environ, "PYTHONPATH": str(archive)}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{database}"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert {"sets", "tracks", "crawl_runs"} <= tables
    from crawler.store.db import SCHEMA_REVISION

    assert version == SCHEMA_REVISION

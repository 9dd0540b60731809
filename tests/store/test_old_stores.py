"""Stores made by every earlier schema revision open with the current version, whole.

For each commit that changed the migrations (the first-parent history of this branch), the
store code of that commit is taken from git (``git archive``), run in a subprocess of its
own to make a store and keep a few sets in it with its own ``store_set``, and the store is
then opened by the current code: migrated to the newest revision (a store stamped past a
revision that never ran in it repaired, see crawler/store/repair.py), every old set there
with all its tracks, and new sets stored beside them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crawler.store.db import SCHEMA_REVISION, current_revision, session_factory
from crawler.store.repair import missing_revisions
from tests.conftest import REQUIRE_SERVICES, ROOT

SETS, TRACKS = 4, 6

_MAKE_STORE = f"""
import sys
from datetime import datetime
from crawler.items import DJSet, TrackEntry
from crawler.store import session_factory, store_set
factory = session_factory(sys.argv[1])
with factory.begin() as session:
    for i in range({SETS}):
        tracks = [TrackEntry(position=t + 1, artist=f"Old Artist {{i}}-{{t}}", title=f"Tune {{t}}")
                  for t in range({TRACKS})]
        item = DJSet(source="old.example", url=f"https://old.example/sets/{{i}}",
                     title=f"Old Session {{i}}", djs=[f"Old DJ {{i}}"], tracks=tracks)
        store_set(session, item, datetime(2026, 11, 1))
"""


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True,
                          timeout=60).stdout  # fmt: skip


def _schema_commits() -> list[tuple[str, str]]:
    """(commit, its chain of revisions) for each change of the chain, oldest first."""
    try:
        log = _git("log", "--first-parent", "--reverse", "--format=%H", "HEAD", "--",
                   "crawler/store/migrations/versions").decode().split()  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as error:
        log, reason = [], f"no git history here ({error})"
    else:
        reason = "the git history is shallow: the earlier revisions are not in it"
    if len(log) < 2:
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (CRAWLER_REQUIRE_SERVICES=1 makes this a failure)")
        pytest.skip(reason)
    found: list[tuple[str, str]] = []
    for commit in log:
        chain = _chain(commit)
        if not found or found[-1][1] != chain:
            found.append((commit, chain))
    return found


def _chain(commit: str) -> str:
    """The revisions at ``commit`` as ``down>revision`` pairs: "0002>0004" is the chain
    that later had 0003 put into its middle."""
    folder = "crawler/store/migrations/versions/"
    pairs = []
    for name in sorted(_git("ls-tree", "--name-only", commit, folder).decode().split()):
        if name.endswith(".py"):
            source = _git("show", f"{commit}:{name}").decode()
            down = re.search(r'^down_revision = "?(\w+)"?', source, re.M)
            pairs.append(f"{down.group(1) if down else '?'}>{Path(name).name[:4]}")
    return " ".join(pairs)


def _old_code(commit: str, folder: Path) -> Path:
    archive = _git("archive", "--format=tar", commit, "crawler")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


COMMITS = _schema_commits() if (ROOT / ".git").exists() else []


@pytest.mark.parametrize("commit", [c for c, _ in COMMITS] or ["(no git history)"],
                         ids=[f"{c[:7]} {chain}" for c, chain in COMMITS] or ["none"])  # fmt: skip
def test_a_store_made_by_an_earlier_revision_opens_upgraded_with_every_set(
    commit: str, tmp_path: Path
) -> None:
    if not COMMITS:
        _schema_commits()  # skips, or fails under CRAWLER_REQUIRE_SERVICES=1
    code = _old_code(commit, tmp_path / "code")
    url = f"sqlite:///{tmp_path}/old.db"
    env = {**os.environ, "PYTHONPATH": str(code)}
    made = subprocess.run([sys.executable, "-c", _MAKE_STORE, url], cwd=code, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]

    factory = session_factory(url)  # the current code: migrate, repair
    engine = create_engine(url)
    with engine.connect() as conn:
        assert current_revision(engine) == SCHEMA_REVISION
        assert missing_revisions(conn, SCHEMA_REVISION) == []
        rows = conn.execute(text(
            "SELECT s.url, count(e.id) FROM sets s JOIN set_entries e ON e.set_id = s.id"
            " GROUP BY s.id ORDER BY s.url")).all()  # fmt: skip
        assert rows == [(f"https://old.example/sets/{i}", TRACKS) for i in range(SETS)]
    engine.dispose()

    from crawler.items import DJSet, TrackEntry
    from crawler.store.db import utcnow
    from crawler.store.identity import store_sets_once
    from crawler.store.sets import KeyCache

    tracks = [TrackEntry(artist="Old Artist 1-0", title="Tune 0")]
    new = DJSet(source="new.example", url="https://new.example/sets/1", title="New Session",
                djs=["Old DJ 1"], tracks=tracks)  # fmt: skip
    with factory.begin() as session:
        assert store_sets_once(session, [new], utcnow(), KeyCache()) == ["created"]

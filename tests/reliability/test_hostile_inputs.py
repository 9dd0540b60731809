"""Hostile folders and names for the importer, secrets in settings: nothing crashes the
import, nothing forges a log line, no password reaches the log."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.logsafe import SecretsFilter, mask_secrets, mask_url, printable
from crawler.spiders.exports import iter_files
from tests.conftest import FIXTURES, run_scrapy
from tests.incremental.conftest import stat

CONTROL = FIXTURES / "exports" / "traktor_history.nml"


@pytest.fixture
def deep_trees() -> Iterator[list[Path]]:
    """Trees to remove with ``rm -rf`` afterwards: pytest's own clean-up (shutil.rmtree)
    recurses, and fails on a tree this deep."""
    roots: list[Path] = []
    yield roots
    for root in roots:
        subprocess.run(["rm", "-rf", str(root)], check=False)


def _deep_tree(root: Path, depth: int) -> Path:
    """``depth`` nested folders, made with relative steps (the full path gets long)."""
    here = os.getcwd()
    root.mkdir()
    os.chdir(root)
    try:
        for _ in range(depth):
            os.mkdir("d")
            os.chdir("d")
        shutil.copy(CONTROL, "deep.nml")
    finally:
        os.chdir(here)
    return root


def test_a_folder_1500_levels_deep_is_walked_to_the_limit_and_the_rest_reported(
    tmp_path: Path, deep_trees: list[Path]
) -> None:
    root = _deep_tree(tmp_path / "deep", 1500)
    deep_trees.append(root)
    shutil.copy(CONTROL, root / "control.nml")
    skipped: list[tuple[Path, str]] = []
    files = list(iter_files([root], max_depth=64, on_skip=lambda p, r: skipped.append((p, r))))
    assert files == [root / "control.nml"]
    assert len(skipped) == 1 and "deeper than 64 levels (IMPORT_MAX_DEPTH)" in skipped[0][1]


def test_a_symlink_loop_is_read_once_and_reported(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    (root / "a").mkdir(parents=True)
    shutil.copy(CONTROL, root / "a" / "one.nml")
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    skipped: list[tuple[Path, str]] = []
    files = list(iter_files([root], on_skip=lambda p, r: skipped.append((p, r))))
    assert files == [root / "a" / "one.nml"]
    assert [r for _, r in skipped] == ["a folder already read (symlink loop)"]


def test_a_file_named_twice_or_also_in_a_named_folder_is_read_once(tmp_path: Path) -> None:
    """The feed of `-a path=ex/mixxx,ex/mixxx/mixxxdb.sqlite` held each set twice."""
    root = tmp_path / "exports"
    root.mkdir()
    shutil.copy(CONTROL, root / "one.nml")
    (root / "same.nml").hardlink_to(root / "one.nml")  # one file under two names
    named = [root / "one.nml", root, root / "one.nml", tmp_path / "missing.nml"]
    assert list(iter_files(named)) == [root / "one.nml", tmp_path / "missing.nml"]


def test_an_import_of_hostile_folders_reads_the_rest_and_says_what_it_skipped(
    tmp_path: Path, deep_trees: list[Path]
) -> None:
    root = _deep_tree(tmp_path / "exports", 1500)
    deep_trees.append(root)
    shutil.copy(CONTROL, root / "control.nml")
    (root / "loop").symlink_to(root, target_is_directory=True)
    forged = root / "x.nml\n2026-01-01 00:00:00 [scrapy.core.engine] ERROR: forged"
    forged.write_bytes(b"\x00\x01binary")
    database = f"sqlite:///{tmp_path}/c.db"
    result = run_scrapy("crawl", "exports", "-a", f"path={root}",
                        "-s", f"DATABASE_URL={database}")  # fmt: skip
    assert result.returncode == 3, "an import that skipped something is partial"
    log = result.stderr
    assert stat(log, "store/created") == 1, "the control file is imported"
    assert stat(log, "import/folders_skipped") == 2
    assert "symlink loop" in log and "IMPORT_MAX_DEPTH" in log
    assert not any(line.startswith("2026-01-01 00:00:00") for line in log.splitlines())
    assert "x.nml\\n2026-01-01 00:00:00 [scrapy.core.engine] ERROR: forged" in log


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql+psycopg://me:s3cret@db:5432/x", "postgresql+psycopg://me:***@db:5432/x"),
        (
            "{'DATABASE_URL': 'postgresql://u:p%40ss@h/d'}",
            "{'DATABASE_URL': 'postgresql://u:***@h/d'}",
        ),
        ("redis://:only-pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("http://user@host/path", "http://user@host/path"),
        ("sqlite:///data/crawler.db", "sqlite:///data/crawler.db"),
        ("see http://a:b@c/ and https://d:e@f/", "see http://a:***@c/ and https://d:***@f/"),
    ],
)
def test_passwords_in_urls_are_masked(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked
    assert mask_url(text) == masked


@pytest.mark.parametrize(
    ("text", "shown"),
    [("plain name.nml", "plain name.nml"), ("a\nb", "a\\nb"), ("nul\x00", "nul\\x00"),
     ("ünïcode ok", "ünïcode ok"), ("line\u2028sep", "line\\u2028sep")],
)  # fmt: skip
def test_untrusted_text_prints_on_one_line(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_the_filter_masks_messages_arguments_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Store %s down", ("pg://a:pw@h/d",),
                               None)  # fmt: skip
    try:
        raise RuntimeError("connect to pg://a:pw@h/d failed")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    SecretsFilter().filter(record)
    assert record.getMessage() == "Store pg://a:***@h/d down"
    assert record.exc_text and "pw@" not in record.exc_text and "a:***@h" in record.exc_text


def test_debug_records_are_masked_when_formatted_and_hold_no_cycle() -> None:
    """A DEBUG record is masked lazily, and freed as soon as it is dropped: a record
    that refers to itself would keep the item it logs (Scrapy's "Scraped from") until
    the cycle collector ran, which made it a tenth of a large import's time."""
    import gc
    import weakref

    from crawler.logsafe import install_secrets_filter

    install_secrets_filter()

    class Item:
        def __str__(self) -> str:
            return "set at https://u:pw@example.org/x"

    item = Item()
    alive = weakref.ref(item)
    record = logging.getLogRecordFactory()("x", logging.DEBUG, __file__, 1, "Scraped %s",
                                           (item,), None)  # fmt: skip
    assert record.getMessage() == "Scraped set at https://u:***@example.org/x"
    enabled = gc.isenabled()
    gc.disable()
    try:
        del record, item
        assert alive() is None
    finally:
        if enabled:
            gc.enable()


def test_the_overridden_settings_scrapy_logs_show_no_password(tmp_path: Path) -> None:
    # Any Scrapy setting set on the command line is logged; this one holds a URL (and is
    # unused: the HTTP cache is off).
    result = run_scrapy("crawl", "exports", "-a", f"path={CONTROL}",
                        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/c.db",
                        "-s", "HTTPCACHE_DIR=redis://:hunter2@127.0.0.1:1/0")  # fmt: skip
    assert "Overridden settings" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "redis://:***@127.0.0.1:1/0" in result.stderr


@pytest.mark.parametrize(("level", "skipped"), [("INFO", True), ("DEBUG", False)])
def test_the_scraped_record_is_made_only_when_debug_is_shown(level: str, skipped: bool) -> None:
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from crawler.logsafe import ItemsLogFormatter

    crawler = get_crawler(settings_dict={"LOG_LEVEL": level})
    formatter = ItemsLogFormatter.from_crawler(crawler)
    record = formatter.scraped({"url": "u"}, None, Spider("s"))
    assert (record is None) is skipped
    if record is not None:
        assert record["level"] == logging.DEBUG

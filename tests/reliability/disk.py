"""A small disk a test may fill: a tmpfs of its own, mounted for the test (root only)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

__all__ = ["fill", "small_disk"]


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "8m") -> Iterator[Path]:
    """``folder`` as a tmpfs of ``size``; skipped (failed under CRAWLER_REQUIRE_SERVICES=1)
    where mounting is not allowed: not root, or a container without the capability."""
    folder.mkdir(parents=True, exist_ok=True)
    reason = None
    if os.geteuid() != 0:
        reason = "mounting a tmpfs needs root"
    else:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if mounted.returncode:
            reason = f"cannot mount a tmpfs: {mounted.stderr.strip()}"
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (CRAWLER_REQUIRE_SERVICES=1 makes this a failure)")
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def fill(folder: Path, leave: int) -> Path:
    """Fill the disk of ``folder`` but ``leave`` bytes; returns the filler file (delete it
    to give the space back)."""
    filler = folder / "filler.bin"
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave))
    return filler

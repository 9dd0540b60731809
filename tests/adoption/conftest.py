"""The package as a user gets it: a wheel built from a clean copy, in a fresh virtualenv.

Built once per test session (about 15 s: ``pip wheel . --no-deps``, a virtualenv without
pip of its own, the wheel's core dependencies and current scrapyd and scrapyd-client from
pip's cache or the index). No extras: features that need one must say which.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def clean_copy(target: Path) -> Path:
    """The repository's files as a clone has them (tracked and new, none ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@dataclass
class Installed:
    """A virtualenv with the wheel installed; ``run`` runs its commands as a user would."""

    venv: Path
    source: Path
    wheel: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY_", "VIRTUAL"))}
        env.pop("PYTHONPATH", None)
        env.pop("DATABASE_URL", None)  # a new user's: the default store
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.bin(args[0]), *args[1:]],
            cwd=cwd, env=self.env(), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip


def _pip(*args: str) -> None:
    proc = subprocess.run([*PIP, *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    where = tmp_path_factory.mktemp("installed")
    source = clean_copy(where / "clone")
    _pip("wheel", str(source), "--no-deps", "-w", str(where / "dist"), "-q")
    wheel = next((where / "dist").glob("polite_tracklist_crawler-*.whl"))
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The user's scrapyd machine: the package, scrapyd and scrapyd-client, in one environment.
    _pip("--python", str(venv / "bin" / "python"), "install", "-q", str(wheel),
         "scrapyd", "scrapyd-client")  # fmt: skip
    yield Installed(venv, source, wheel)

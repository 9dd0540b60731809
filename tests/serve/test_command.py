"""``python -m crawler serve`` as a user runs it: a real process on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import run_cli
from tests.serve.conftest import serve_command


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_command_answers_over_http(sqlite_store: str, workers: str) -> None:
    with serve_command("--database", sqlite_store, "--workers", workers) as url:
        found = httpx.get(url + "/api/v1/search", params={"q": "bicep"}, timeout=30).json()
        assert [d["name"] for d in found["djs"]] == ["Bicep"]
        # Every worker answers the same ETag, and 304 to it
        tags = {httpx.get(url + "/api/v1/stats", timeout=30).headers["etag"] for _ in range(6)}
        assert len(tags) == 1
        again = httpx.get(url + "/api/v1/stats", headers={"If-None-Match": tags.pop()}, timeout=30)
        assert again.status_code == 304


def test_serve_refuses_a_store_that_is_not_there(tmp_path: Path) -> None:
    result = run_cli("serve", "--database", f"sqlite:///{tmp_path}/nothing.db")
    assert result.returncode == 2
    assert "no store at" in result.stderr
    assert not (tmp_path / "nothing.db").exists()


def test_serve_and_its_keys_say_in_one_line_what_they_cannot_open(tmp_path: Path) -> None:
    """A server that does not answer and a URL that is not one printed SQLAlchemy's
    traceback; `keys` created an empty store at a misspelt path, which serve refuses."""
    cases = [
        (["serve", "--database", "postgresql+psycopg://nobody:secret@127.0.0.1:1/x"],
         "crawler serve: Cannot open the store postgresql+psycopg://nobody:***@127.0.0.1:1/x: "),
        (["serve", "--database", "nonsense"],
         "crawler serve: DATABASE_URL is not a database URL: 'nonsense'"),
        (["serve", "--database", f"sqlite:///{tmp_path}/typo.db", "keys", "add", "alice"],
         f"crawler serve keys: no database at {tmp_path}/typo.db"),
    ]  # fmt: skip
    for args, said in cases:
        result = run_cli(*args)
        assert result.returncode == 2, result.stderr[-3000:]
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(said), lines
    assert list(tmp_path.iterdir()) == []


def test_a_port_in_use_is_a_failure_not_partial(sqlite_store: str) -> None:
    """uvicorn exits 3 when it cannot start, which the exit-code table reads "partial"."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--database", sqlite_store, "--port", str(port))
    assert result.returncode == 1, result.stderr[-2000:]
    assert f"crawler serve: could not start on 127.0.0.1:{port}" in result.stderr

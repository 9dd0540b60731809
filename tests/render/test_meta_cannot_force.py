"""Only the policy decides to render: a request whose meta asks for it (``render_js``, or
scrapy-playwright's own ``playwright``) is fetched plainly where the terms don't allow it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_scrapy
from tests.render.conftest import need_chromium, stats
from tests.render.jsite import js_site

pytestmark = pytest.mark.browser


def _run_meta_spider(tmp_path: Path, *args: str) -> str:
    """``meta_spider.py`` with rendering permitted for 127.0.0.2 only; its log."""
    (tmp_path / "terms.toml").write_text('[[site]]\ndomain = "127.0.0.2"\nrender_js = true\n')
    result = run_scrapy(
        "runspider", str(ROOT / "tests" / "render" / "meta_spider.py"), *args,
        "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"SITE_POLICY_FILE={tmp_path / 'terms.toml'}",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'crawler.db'}",
        "-O", str(tmp_path / "out.json"),
    ).check()  # fmt: skip
    return result.stderr


def test_meta_cannot_force_rendering(tmp_path: Path) -> None:
    need_chromium()
    with js_site("127.0.0.2") as allowed, js_site("127.0.0.3") as other:
        urls = f"{allowed.url('/sets/0')},{other.url('/sets/0')}"
        log = _run_meta_spider(tmp_path, "-a", f"urls={urls}")
        other_paths = [r.path for r in other.requests()]
        allowed_paths = [r.path for r in allowed.requests()]
    flags = {item["url"]: item["flags"] for item in json.loads((tmp_path / "out.json").read_text())}
    assert flags == {allowed.url("/sets/0"): ["playwright"], other.url("/sets/0"): []}
    assert "/api/set-0.json" in allowed_paths
    assert not [p for p in other_paths if p.startswith(("/api/", "/static/"))]
    assert stats(log)["render/refused/not_permitted"] == 1


def test_a_page_claimed_in_hand_never_leaves_unpaced(tmp_path: Path) -> None:
    """A request whose page is in hand takes no turn on the host's clock, so it must never
    be sent: rendered from that page where the terms allow it (its sub-requests paced as
    ever), dropped everywhere else, never fetched plainly."""
    need_chromium()
    with js_site("127.0.0.2") as allowed, js_site("127.0.0.3") as other:
        log = _run_meta_spider(
            tmp_path,
            "-a", f"urls={allowed.url('/sets/0')},{other.url('/sets/0')}", "-a", "in_hand=1",
            "-a", f"bare_urls={other.url('/sets/1')}",
        )  # fmt: skip
        allowed_paths = [r.path for r in allowed.requests()]
        other_paths = [r.path for r in other.requests()]
    items = json.loads((tmp_path / "out.json").read_text())
    assert items == [{"url": allowed.url("/sets/0"), "flags": ["playwright"]}]
    assert "/sets/0" not in allowed_paths and "/api/set-0.json" in allowed_paths
    assert not [p for p in other_paths if p.startswith(("/sets/", "/api/", "/static/"))]
    got = stats(log)
    assert got["render/navigations_in_hand"] == 1
    assert got["render/refused/not_permitted"] == 1

"""A page rendered in the browser adds its DOM to the archive as a ``conversion`` record,
beside the ``response`` record of the plain fetch that preceded it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.archive.site import records, warcio
from tests.conftest import run_scrapy
from tests.render.conftest import need_chromium
from tests.render.jsite import js_site

pytestmark = pytest.mark.browser

HOST = "127.26.6.2"


def test_a_rendered_page_is_archived_with_its_dom(tmp_path: Path) -> None:
    need_chromium()
    (tmp_path / "terms.toml").write_text(f'[[site]]\ndomain = "{HOST}"\nrender_js = true\n')
    with js_site(HOST) as site:
        run_scrapy(
            "crawl", "sets", "-a", f"start_urls={site.url('/sets/0')}", "-a", "max_depth=0",
            "--warc", str(tmp_path / "warc"), "-s", "ALLOW_PRIVATE_HOSTS=True",
            "-s", f"SITE_POLICY_FILE={tmp_path / 'terms.toml'}",
            "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'crawler.db'}", "-s", "RENDER_TIMEOUT=10",
        ).check()  # fmt: skip
        page = site.url("/sets/0")
    recs = list(records(tmp_path / "warc"))
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        assert warcio("check", str(path)).returncode == 0
    plain = [r for r in recs if r.type == "response" and r.url == page]
    dom = [r for r in recs if r.type == "conversion" and r.url == page]
    assert len(plain) == 1 and len(dom) == 1
    assert dom[0].headers["WARC-Refers-To-Target-URI"] == page
    assert dom[0].headers["Content-Type"].startswith("text/html")
    # the script filled the tracklist in: the DOM holds what the plain HTML did not
    assert b"<li>Bicep - Glue</li>" in dom[0].body
    assert b"Bicep" not in plain[0].body

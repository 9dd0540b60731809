"""tdmrep.json answered 503 with Retry-After: the host pauses, the file is asked again
after the pause (as robots.txt is), and the policy file is not a failed page: a crawl that
fetched and stored every set ends ok (exit 0).

The real demo site on loopback, crawled by ``scrapy crawl sets`` in a subprocess; its
tdmrep.json answers 503 once, then a rule that reserves nothing of the sets.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from tests.conftest import ROOT, run_scrapy

DEMO = ROOT / "crawler" / "demo_site"
RULES = '[{"location": "/private/*", "tdm-reservation": 1}]'


def test_a_503_on_tdmrep_json_is_asked_again_after_the_pause(tmp_path: Path) -> None:
    answers = iter([Reply(503, "busy", {"Retry-After": "2"}, "text/plain")])

    def tdmrep(_request: LoggedRequest) -> Reply:
        return next(answers, Reply(200, RULES, content_type="application/json"))

    routes = {"/.well-known/tdmrep.json": tdmrep}
    with LoopbackSite("127.23.0.6", routes=routes, root=DEMO) as site:  # type: ignore[arg-type]
        result = run_scrapy(
            "crawl", "sets", "-a", f"start_urls={site.url('/')}",
            "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", "CONTACT=mailto:tests@example.org",
            "-s", f"DATABASE_URL=sqlite:///{tmp_path}/store.db",
        )  # fmt: skip
        asked = site.requests("/.well-known/tdmrep.json")
        pages = [r for r in site.requests() if r.path not in ("/robots.txt", asked[0].path)]
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Crawl ok" in result.stderr
    assert len(asked) == 2, [r.path for r in site.requests()]
    assert asked[1].time - asked[0].time >= 2.0 - 0.05  # after the pause, not before
    # nothing of the host's left during the pause either
    assert not [r for r in pages if asked[0].time < r.time < asked[0].time + 1.95]
    assert "'politeness/paused/retry_after': 1" in result.stderr
    assert "crawl/pages/failed" not in result.stderr
    with sqlite3.connect(tmp_path / "store.db") as db:
        assert db.execute("select count(*) from sets").fetchone() == (4,)
        (kept,) = db.execute("select rules from tdmrep_files").fetchone()
    assert "/private/*" in kept  # the verdict of the second answer, kept for the next run

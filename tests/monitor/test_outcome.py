"""The outcome of a crawl from its stats: the rules table, case by case."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crawler.monitor.extraction import extraction_alarms, site_of
from crawler.monitor.outcome import EXIT_CODES, RULES, Outcome, crawl_outcome
from tests.conftest import ROOT

FETCHED = {"crawl/pages/fetched": 40, "store/created": 10}

CASES: list[tuple[str, dict[str, Any], str, Outcome]] = [
    ("a clean crawl", FETCHED, "finished", Outcome.OK),
    ("every page answered 304", {"incremental/not_modified": 40}, "finished", Outcome.OK),
    ("an import", {"import/files": 5, "store/created": 5}, "finished", Outcome.OK),
    ("nothing at all (no start URLs)", {}, "finished", Outcome.FAILED),
    ("every request failed",
     {"crawl/pages/failed": 3, "crawl/pages/failed/ConnectionRefusedError": 3},
     "finished", Outcome.FAILED),
    ("robots.txt never fetched: failed, not refused",
     {"politeness/refused/robots": 2, "politeness/refused/robots_unreachable": 2},
     "finished", Outcome.FAILED),
    ("robots.txt said no to everything", {"politeness/refused/robots": 7}, "finished",
     Outcome.REFUSED),
    ("the site terms said no", {"politeness/refused/terms": 1}, "finished", Outcome.REFUSED),
    ("Crawl-delay over the maximum", {"politeness/refused/host_skipped": 3}, "finished",
     Outcome.REFUSED),
    ("refused on one host, failed on another",
     {"politeness/refused/terms": 1, "crawl/pages/failed": 1}, "finished", Outcome.FAILED),
    ("sets unstored, none stored", {**FETCHED, "store/created": 0, "store/unstored": 3},
     "finished", Outcome.FAILED),
    ("sets unstored, some stored", {**FETCHED, "store/unstored": 3}, "finished",
     Outcome.PARTIAL),
    ("sets unstored are never ok, even unchanged ones stored",
     {"crawl/pages/fetched": 5, "store/unchanged": 4, "store/unstored": 1}, "finished",
     Outcome.PARTIAL),
    ("some requests failed", {**FETCHED, "crawl/pages/failed": 2}, "finished",
     Outcome.PARTIAL),
    ("one host's robots.txt unreachable, others fine",
     {**FETCHED, "politeness/refused/robots": 1, "politeness/refused/robots_unreachable": 1},
     "finished", Outcome.PARTIAL),
    ("a callback raised", {**FETCHED, "spider_exceptions/count": 1}, "finished",
     Outcome.PARTIAL),
    ("unreadable files", {"import/files": 5, "import/errors": 1, "store/created": 4},
     "finished", Outcome.PARTIAL),
    ("every file unreadable", {"import/files": 2, "import/errors": 2}, "finished",
     Outcome.FAILED),
    ("stopped by a signal", FETCHED, "shutdown", Outcome.PARTIAL),
    ("a CLOSESPIDER_ limit is a finish", FETCHED, "closespider_pagecount", Outcome.OK),
    ("robots.txt refused a few pages of a site that answered",
     {**FETCHED, "politeness/refused/robots": 5}, "finished", Outcome.OK),
    ("the extraction alarm",
     {**FETCHED, "extraction/pages/mixesdb.com": 40, "extraction/empty/mixesdb.com": 37},
     "finished", Outcome.PARTIAL),
    ("empty pages below the ratio",
     {**FETCHED, "extraction/pages/mixesdb.com": 40, "extraction/empty/mixesdb.com": 8},
     "finished", Outcome.OK),
    ("a daily quota ran out, some pages fetched",
     {**FETCHED, "politeness/quota/reached": 1}, "finished", Outcome.PARTIAL),
    ("a daily quota used up by an earlier run: nothing fetched",
     {"politeness/quota/reached": 1, "politeness/refused/host_skipped": 3}, "finished",
     Outcome.PARTIAL),
    ("too few pages to judge",
     {**FETCHED, "extraction/pages/mixesdb.com": 9, "extraction/empty/mixesdb.com": 9},
     "finished", Outcome.OK),
    ("sets neither stored nor spooled", {**FETCHED, "store/created": 30, "store/lost": 171},
     "finished", Outcome.FAILED),
    ("a cluster worker the others left nothing to", {"cluster/crawl_requests": 23},
     "finished", Outcome.OK),
    ("a cluster worker whose every request failed",
     {"cluster/crawl_requests": 23, "crawl/pages/failed": 2}, "finished", Outcome.FAILED),
    # stopped, not failed: `crawler crawl --workers N` takes the worst of its workers, and
    # one stopped before its first lease made a stopped crawl "failed"
    ("a cluster worker stopped before it got a share", {"cluster/crawl_requests": 23},
     "shutdown", Outcome.PARTIAL),
    ("a cluster worker stopped while starting, before anything was queued",
     {"cluster/crawl_requests": 0}, "shutdown", Outcome.PARTIAL),
    ("a crawl stopped before it fetched anything, in one process", {}, "shutdown",
     Outcome.FAILED),
    ("a cluster worker stopped after its requests failed",
     {"cluster/crawl_requests": 23, "crawl/pages/failed": 2}, "shutdown", Outcome.FAILED),
    ("a feed that could not be written", {**FETCHED, "store/created": 30,
     "feedexport/failed_count/FileFeedStorage": 1}, "finished", Outcome.FAILED),
]  # fmt: skip


@pytest.mark.parametrize(("stats", "reason", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_outcome(stats: dict[str, Any], reason: str, expected: Outcome) -> None:
    verdict = crawl_outcome(stats, reason)
    assert verdict.outcome is expected, verdict.why
    assert verdict.exit_code == EXIT_CODES[expected]


def test_exit_codes() -> None:
    assert {o.value: c for o, c in EXIT_CODES.items()} == {
        "ok": 0,
        "failed": 1,
        "partial": 3,
        "refused": 4,
    }


def test_every_rule_is_reached_by_some_case() -> None:
    reached = {crawl_outcome(stats, reason).why for _, stats, reason, _ in CASES}
    assert reached == {rule.when for rule in RULES}


def test_the_documented_table_is_the_rules_table() -> None:
    """docs/monitoring.md and the module docstring list exactly the rules, in order."""
    from crawler.monitor import outcome

    expected = [(r.outcome.value, r.when) for r in RULES]
    doc = (ROOT / "docs/monitoring.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \|$", doc.split("## Outcomes")[1], re.M)
    assert rows[: len(expected)] == expected
    lines = re.findall(r"^(ok|partial|failed|refused)\s{2,}(.+)$", outcome.__doc__ or "", re.M)
    assert lines == expected


ALARM = {"extraction/pages/mixesdb.com": 40, "extraction/empty/mixesdb.com": 37}


def test_alarm_message() -> None:
    [alarm] = extraction_alarms(ALARM)
    assert alarm.message == (
        "mixesdb.com: 37 of 40 set pages gave no tracklist — the site's markup may have changed"
    )


@pytest.mark.parametrize(
    ("expected", "empty", "ratio", "min_pages", "fires"),
    [
        (40, 37, 0.2, 10, True),
        (40, 8, 0.2, 10, False),  # exactly the ratio: not above it
        (40, 9, 0.2, 10, True),
        (10, 10, 0.2, 10, True),
        (9, 9, 0.2, 10, False),
        (100, 30, 0.5, 10, False),
        (0, 0, 0.2, 0, False),
    ],
)
def test_alarm_thresholds(
    expected: int, empty: int, ratio: float, min_pages: int, fires: bool
) -> None:
    stats = {"extraction/pages/s": expected, "extraction/empty/s": empty}
    assert bool(extraction_alarms(stats, ratio, min_pages)) is fires


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.mixesdb.com", "mixesdb.com"),
        ("MixesDB.com.", "mixesdb.com"),
        ("127.0.0.5", "127.0.0.5"),
    ],
)
def test_site_of(host: str, site: str) -> None:
    assert site_of(host) == site

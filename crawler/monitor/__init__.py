"""Unattended crawls: outcomes, the end-of-crawl line, progress, metrics, extraction health."""

from crawler.monitor.extraction import SiteAlarm, extraction_alarms
from crawler.monitor.outcome import EXIT_CODES, SUCCESSES, Outcome, Verdict, crawl_outcome

__all__ = [
    "EXIT_CODES",
    "SUCCESSES",
    "Outcome",
    "SiteAlarm",
    "Verdict",
    "crawl_outcome",
    "extraction_alarms",
]

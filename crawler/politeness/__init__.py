"""Politeness: robots.txt per RFC 9309, one per-host clock, Retry-After, robots meta, TDM
reservations, site terms, and an identifying User-Agent. On by default (crawler/settings.py);
docs/politeness.md explains each rule and setting.
"""

from crawler.politeness.clock import HostClock, LocalHostClock
from crawler.politeness.config import PolitenessConfig, PolitenessConfigError
from crawler.politeness.pace import GapExplanation, PacePolicy
from crawler.politeness.terms import SiteTerms, TermsRegistry

__all__ = [
    "GapExplanation",
    "HostClock",
    "LocalHostClock",
    "PacePolicy",
    "PolitenessConfig",
    "PolitenessConfigError",
    "SiteTerms",
    "TermsRegistry",
]

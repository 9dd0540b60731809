"""The site's own policy files: robots.txt and ``/.well-known/tdmrep.json``.

The politeness components fetch them for the crawl's sake; they are not pages. A policy
file that could not be had is the politeness components' business (robots.txt: disallow
all and ask again; tdmrep.json: ask again after the host's pause), never a failed page in
the crawl's outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.politeness.robots_rules import ROBOTS_META

if TYPE_CHECKING:
    from scrapy import Request

__all__ = ["POLICY_FILE_META", "is_policy_file"]

POLICY_FILE_META = "politeness_policy_file"
"""Request meta key marking a policy file other than robots.txt (which has ``ROBOTS_META``)."""


def is_policy_file(request: Request) -> bool:
    return ROBOTS_META in request.meta or POLICY_FILE_META in request.meta

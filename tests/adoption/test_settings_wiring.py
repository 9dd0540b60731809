"""One wiring: every default in crawler/settings.py is applied by an add-on, or is the project's.

A setting added to crawler/settings.py but to no add-on would hold in ``scrapy crawl sets``
and be missing in a user's project with the add-ons: this test names it.
"""

from __future__ import annotations

from crawler import settings
from crawler.addons import POLITENESS_SETTINGS, TRACKLISTS_SETTINGS

PROJECT_ONLY = {
    # what makes the repository a Scrapy project
    "BOT_NAME", "SPIDER_MODULES", "NEWSPIDER_MODULE", "COMMANDS_MODULE", "ADDONS",
    "EXTENSIONS", "TWISTED_REACTOR", "LOG_LEVEL", "REMOTE_CONTROL_ENABLED",
    "TELNETCONSOLE_ENABLED",
    # read by crawler.cluster.ClusterAddon's components, which every shipped spider brings
    "REDIS_URL", "IDLE_TIMEOUT", "CLUSTER_LEASE_TIMEOUT", "CLUSTER_POLL_INTERVAL",
    "CLUSTER_KEY_PREFIX", "CLUSTER_CLOCK_MARGIN", "CLUSTER_CLOCK_TTL", "CLUSTER_CRAWL",
}  # fmt: skip


def test_every_default_belongs_to_an_addon_or_to_the_project() -> None:
    defined = {name for name in vars(settings) if name.isupper()}
    owned = set(POLITENESS_SETTINGS) | set(TRACKLISTS_SETTINGS)
    assert not set(POLITENESS_SETTINGS) & set(TRACKLISTS_SETTINGS)
    assert defined - owned - PROJECT_ONLY == set(), "give these to an add-on"
    assert owned - defined == set(), "defaults missing from crawler/settings.py"


def test_every_default_is_documented() -> None:
    from pathlib import Path

    page = (Path(settings.__file__).parents[1] / "docs" / "settings.md").read_text()
    undocumented = {
        name for name in vars(settings)
        if name.isupper() and f"`{name}`" not in page
    }  # fmt: skip
    assert undocumented == set()

"""The ``-s NAME=VALUE`` option of the commands that read the crawler's settings without
running Scrapy's command line (``enrich``, ``policy``, ``sources``)."""

from __future__ import annotations

import argparse

from scrapy.settings import Settings


def add_settings_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help=help)


def command_settings(overrides: list[str]) -> Settings:
    """The package's settings with ``-s`` overrides on top, as ``scrapy -s`` sets them;
    ValueError names an override that is not NAME=VALUE."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"-s wants NAME=VALUE, got {item!r}")
        settings.set(name, value, priority="cmdline")
    return settings

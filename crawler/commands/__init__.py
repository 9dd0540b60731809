"""Scrapy commands of the project (``COMMANDS_MODULE``): ``crawl``, with checks of its own and
the crawl's outcome as its exit code."""

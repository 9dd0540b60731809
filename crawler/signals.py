"""The project's own Scrapy signals (``crawler.signals.connect(handler, signal=...)``)."""

from __future__ import annotations

__all__ = ["set_unstored"]

set_unstored = object()
"""Sent by the store pipeline, with ``item``, for a set that went to the spool instead of
the store. The page recorder then leaves the page it came from unrecorded, so the next
crawl fetches that page in full instead of getting a 304 for a set the store never had."""

"""The two things the frontiers need from Scrapy's engine that no public API gives.

1. *Wake the engine.* The engine asks the scheduler for requests after each download and
   on a 5-second heartbeat. A frontier whose next host is ready in 0.3 s, or that another
   worker has just filled, would otherwise wait for the heartbeat (the local frontier in
   ``politeness/frontier.py`` and the cluster's, ``cluster/scheduler.py``).
2. *Is a request fully handled?* The engine keeps every request it took from the
   scheduler in its slot's ``inprogress`` until the download, the callback, the item
   pipelines and the scheduling of follow-ups are all done. A lease is finished exactly
   then; signals would need a dozen cases (retries, redirects, errbacks, dropped items).
   (The cluster scheduler's leases.)

Both are private attributes of ``ExecutionEngine`` (stable since Scrapy 2.0);
:func:`check` fails at start-up, with this explanation, if a Scrapy upgrade removes them.
A public ``engine.wake()`` (or a scheduler hook "ready again at t") upstream would remove
the first; a public "request fully handled" signal the second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["check", "closing", "in_progress", "wake"]


def check(crawler: Crawler) -> None:
    slot = getattr(crawler.engine, "_slot", None)
    if slot is None or not hasattr(slot, "inprogress") or not hasattr(slot, "nextcall"):
        raise RuntimeError(
            "this Scrapy's engine has no _slot.inprogress / _slot.nextcall, which the "
            "frontiers (crawler/_engine.py) rely on"
        )


def wake(crawler: Crawler) -> None:
    """Have the engine ask the scheduler for requests again, soon."""
    slot = getattr(crawler.engine, "_slot", None)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


def closing(crawler: Crawler) -> bool:
    """Whether the engine is closing the spider: it asks the scheduler for nothing more."""
    slot = getattr(crawler.engine, "_slot", None)
    return slot is not None and slot.closing is not None


def in_progress(crawler: Crawler) -> set[Request]:
    slot = getattr(crawler.engine, "_slot", None)
    return slot.inprogress if slot is not None else set()

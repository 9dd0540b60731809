"""Where a crawl's components find the shared objects its add-ons built.

An add-on builds the objects its components share (the politeness config, terms, pace,
clock, turns; the page book), each on first use, and says how to get the one object of
each type in its ``parts``. A component asks :func:`part` in its ``from_crawler`` and
takes what it gets as constructor arguments. The objects are found among the crawler's
own add-ons (``crawler.addons``, as ``crawler.get_addon`` finds them), so they live as
long as the crawl; and this module imports nothing of the project, so the wiring goes one
way (add-on → objects → components) and no component or service imports an add-on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar, cast, runtime_checkable

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["MissingAddon", "Parts", "Provides", "optional_part", "part"]

T = TypeVar("T")

Parts = Mapping[type, Callable[[], object]]
"""How to get the one object of each type (a builder, called on each ask: the add-on's
objects cache themselves, since settings are final only once every add-on ran)."""


@runtime_checkable
class Provides(Protocol):
    """An add-on whose components share objects it builds."""

    parts: Parts


class MissingAddon(RuntimeError):
    """A component ran without the add-on that builds what it needs."""


def _built(crawler: Crawler, kind: type) -> object:
    for addon in crawler.addons.addons:
        # getattr, not isinstance(addon, Provides): a runtime-checkable protocol's check
        # costs microseconds, and some components ask for a part per response
        parts: Parts | None = getattr(addon, "parts", None)
        if parts is not None and (builder := parts.get(kind)) is not None:
            value = builder()
            if value is not None and not isinstance(value, kind):
                raise TypeError(f"the crawl's {kind.__name__} is a {type(value).__name__}")
            return value
    raise MissingAddon(
        f"the crawl has no {kind.__name__}: its components need the add-on that wires "
        "them, ADDONS = {'crawler.addons.Politeness': 100, 'crawler.addons.Tracklists': 200}"
    )


# ``Callable[..., T]``, not ``type[T]``: mypy takes no abstract class (the clock) for the
# latter. Every key is a class all the same.
def part(crawler: Crawler, kind: Callable[..., T]) -> T:
    """The crawl's one ``kind``."""
    value = optional_part(crawler, kind)
    if value is None:
        raise MissingAddon(f"the crawl has no {cast('type', kind).__name__}")
    return value


def optional_part(crawler: Crawler, kind: Callable[..., T]) -> T | None:
    """As :func:`part`, for an object the add-on may decide not to build."""
    return cast("T | None", _built(crawler, cast("type", kind)))

"""Where a crawl's components find the shared objects its add-ons built.

An add-on builds the objects its components share (the politeness config, terms, pace,
clock; the page book) and registers, for its crawler, one builder per type. A component
asks :func:`part` in its ``from_crawler`` and takes what it gets as constructor
arguments. This module imports nothing of the project, so the wiring goes one way
(add-on → objects → components) and no component or service imports an add-on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar, cast
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["MissingAddon", "optional_part", "part", "provide"]

T = TypeVar("T")

_builders: WeakKeyDictionary[Crawler, dict[type, Callable[[], object]]] = WeakKeyDictionary()


class MissingAddon(RuntimeError):
    """A component ran without the add-on that builds what it needs."""


def provide(crawler: Crawler, builders: Mapping[type, Callable[[], object]]) -> None:
    """Register, for ``crawler``, how to get the one object of each type (built on first
    use by the caller's own caching: settings are final only once every add-on ran)."""
    _builders.setdefault(crawler, {}).update(builders)


def _built(crawler: Crawler, kind: type) -> object:
    builder = _builders.get(crawler, {}).get(kind)
    if builder is None:
        raise MissingAddon(
            f"the crawl has no {kind.__name__}: its components need the add-on that wires "
            "them, ADDONS = {'crawler.addons.Politeness': 100, 'crawler.addons.Tracklists': 200}"
        )
    value = builder()
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"the crawl's {kind.__name__} is a {type(value).__name__}")
    return value


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

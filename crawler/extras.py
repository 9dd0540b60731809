"""Optional extras: features whose dependencies a core install leaves out.

``pip install polite-tracklist-crawler`` stays small; a feature that needs more says in
one line which extra brings it, instead of failing on an import deep inside a crawl.
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["EXTRAS", "MissingExtra", "install_hint", "missing", "require"]

DISTRIBUTION = "polite-tracklist-crawler"
EXTRAS: dict[str, tuple[str, ...]] = {
    "render": ("scrapy_playwright", "playwright"),  # JavaScript rendering (crawler/render/)
    "cluster": ("redis", "scrapy_redis"),  # workers sharing one Redis (crawler/cluster/)
    "postgres": ("psycopg",),  # DATABASE_URL=postgresql+psycopg://...
    "serve": ("fastapi", "jinja2", "uvicorn"),  # crawler serve (crawler/serve/)
}


class MissingExtra(ImportError):
    """A feature was asked for whose extra is not installed."""


def install_hint(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def missing(extra: str) -> str | None:
    """None when the extra's modules import; otherwise what to install, in one line."""
    absent = [name for name in EXTRAS[extra] if find_spec(name) is None]
    if not absent:
        return None
    return f"the {extra!r} extra is not installed ({', '.join(absent)}): {install_hint(extra)}"


def require(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtra` naming ``feature`` and the extra when it is absent."""
    if (problem := missing(extra)) is not None:
        raise MissingExtra(f"{feature} needs {problem}")

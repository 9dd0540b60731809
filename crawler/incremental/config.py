"""The settings of incremental crawls, read once per crawl."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.settings import BaseSettings

__all__ = ["IncrementalConfig"]


@dataclass(frozen=True)
class IncrementalConfig:
    enabled: bool
    database_url: str
    cache_max: int
    """Pages per origin held in memory; an origin with more is looked up per request."""
    flush_seconds: float
    """0: each page record is written at once; more: batched, at most this long."""

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> IncrementalConfig:
        config = cls(
            enabled=settings.getbool("INCREMENTAL_ENABLED"),
            database_url=settings.get("DATABASE_URL") or "",
            cache_max=settings.getint("INCREMENTAL_CACHE_MAX"),
            flush_seconds=settings.getfloat("INCREMENTAL_FLUSH_SECONDS"),
        )
        if config.enabled and not config.database_url:
            raise ValueError("INCREMENTAL_ENABLED needs DATABASE_URL (the store it reads)")
        if config.cache_max < 0 or config.flush_seconds < 0:
            raise ValueError("INCREMENTAL_CACHE_MAX and INCREMENTAL_FLUSH_SECONDS must be >= 0")
        return config

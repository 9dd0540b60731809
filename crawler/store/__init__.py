"""The store: SQLAlchemy 2 models, migrations, and repository functions over a session."""

from crawler.store.db import create_store_engine, session_factory, upgrade, utcnow
from crawler.store.repository import iter_sets, record_crawl_run, record_page, store_set

__all__ = [
    "create_store_engine",
    "iter_sets",
    "record_crawl_run",
    "record_page",
    "session_factory",
    "store_set",
    "upgrade",
    "utcnow",
]

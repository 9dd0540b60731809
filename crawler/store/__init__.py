"""The store: SQLAlchemy 2 models, migrations, and reads and writes over a session, a module
per thing stored (sets, pages, runs, locks)."""

from crawler.store.db import create_store_engine, session_factory, upgrade, utcnow
from crawler.store.pages import record_page
from crawler.store.runs import record_crawl_run
from crawler.store.sets import iter_sets, store_set

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

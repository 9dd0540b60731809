"""What may reach a log line: secrets masked, untrusted text unable to forge a line.

Two rules, each one small function used wherever text is printed:

- :func:`mask_url` hides the password of any URL (``postgresql://me:s3cret@db/x`` becomes
  ``postgresql://me:***@db/x``), and :func:`install_secrets_filter` applies it to every
  log record, so that Scrapy's own "Overridden settings" block, a driver's exception or a traceback
  never shows a ``DATABASE_URL`` password either.
- :func:`printable` escapes control characters (newlines included) in text that came from
  outside (file names, page titles, URLs), so that a file called ``"x\\n[scrapy] ERROR: ..."``
  cannot print a line that looks like the crawler's own.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from scrapy.logformatter import LogFormatter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.logformatter import LogFormatterResult

__all__ = [
    "SecretsFilter",
    "counted",
    "install_secrets_filter",
    "level_number",
    "mask_secrets",
    "mask_url",
    "printable",
]

# scheme://user:password@  (the password: anything up to the last "@" before the host)
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s/'\"]*@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def counted(n: int, what: str) -> str:
    """``1 file``, ``2 files``: a count as the crawler's lines say it."""
    return f"{n} {what}{'' if n == 1 else 's'}"


def level_number(level: object) -> int:
    """A ``LOG_LEVEL`` setting (a name or a number) as a number; a name logging does not
    know counts as DEBUG, the most shown."""
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    return number if isinstance(number, int) else logging.DEBUG


def mask_secrets(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    if "://" not in text or "@" not in text:
        return text
    return _USERINFO.sub(r"\g<head>***@", text)


def mask_url(url: str | None) -> str:
    """One URL, password masked (also for URLs SQLAlchemy or w3lib would refuse)."""
    return mask_secrets(str(url or ""))


def printable(text: object) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x00``): one line, always."""
    value = str(text)
    if value.isprintable():
        return value
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), value)


class SecretsFilter(logging.Filter):
    """Masks URL passwords in a record's message and in its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def _mask_record(record: logging.LogRecord) -> None:
    message = record.getMessage()
    masked = mask_secrets(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_secrets(record.exc_text)


_installed = False


def install_secrets_filter() -> None:
    """Mask every log record made from now on, whichever logger or handler it goes to
    (idempotent).

    A record factory rather than a handler filter: Scrapy replaces its root handler when
    a crawl's settings are final, just before it logs them, so a filter put on the
    handler earlier would be gone by then.
    """
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if record.levelno >= logging.INFO:
            _mask_record(record)
        else:
            # DEBUG records are made by the thousand and mostly dropped by the handler's
            # level (Scrapy's "Scraped from" formats a whole item: a tenth of a large
            # import's time): masked when formatted, not when made. By their class, not
            # by a bound getMessage: that would be a reference cycle, and every item a
            # record holds would then wait for the cycle collector (measured: a tenth of
            # a large import's time again, in collections of tens of thousands).
            if type(record) is logging.LogRecord:
                record.__class__ = _LazilyMaskedRecord
            else:  # another factory's record class: masked now
                _mask_record(record)
        return record

    logging.setLogRecordFactory(factory)


class _LazilyMaskedRecord(logging.LogRecord):
    """A record whose message is masked when it is formatted."""

    def getMessage(self) -> str:
        return _masked_message(self)


def _masked_message(record: logging.LogRecord) -> str:
    message = mask_secrets(logging.LogRecord.getMessage(record))
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_secrets(logging.Formatter().formatException(record.exc_info))
    return message


class ItemsLogFormatter(LogFormatter):
    """Scrapy's log formatter, but the "Scraped from" record of every item is not even
    made when the crawl logs nothing below INFO: Scrapy makes it whatever the level (its
    handler drops it), and making it, with the caller's frame looked up, was a tenth of
    the per-item time the crawl process spends outside the store in an import."""

    def __init__(self, items_logged: bool = True) -> None:
        self.items_logged = items_logged

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ItemsLogFormatter:
        settings = crawler.settings
        shown = settings.getbool("LOG_ENABLED") and (
            level_number(settings.get("LOG_LEVEL")) <= logging.DEBUG
        )
        return cls(items_logged=shown)

    # Scrapy types it as always returning a record, and its scraper logs nothing for None
    def scraped(  # type: ignore[override]
        self, item: Any, response: Any, spider: Any
    ) -> LogFormatterResult | None:
        if not self.items_logged:
            return None
        return super().scraped(item, response, spider)

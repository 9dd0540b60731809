"""What may reach a log line: secrets masked, untrusted text unable to forge a line.

Two rules, each one small function used wherever text is printed:

- :func:`mask_url` hides the password of any URL (``postgresql://me:s3cret@db/x`` becomes
  ``postgresql://me:***@db/x``), and :class:`SecretsFilter` applies it to every log record,
  so that Scrapy's own "Overridden settings" block, a driver's exception or a traceback
  never shows a ``DATABASE_URL`` password either.
- :func:`printable` escapes control characters (newlines included) in text that came from
  outside (file names, page titles, URLs), so that a file called ``"x\\n[scrapy] ERROR: ..."``
  cannot print a line that looks like the crawler's own.
"""

from __future__ import annotations

import logging
import re

__all__ = ["SecretsFilter", "install_secrets_filter", "mask_secrets", "mask_url", "printable"]

# scheme://user:password@  (the password: anything up to the last "@" before the host)
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s/'\"]*@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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
    """Masks URL passwords in a record's message and in its traceback text.

    Attached to the handlers (a logger's filters do not apply to its children), so every
    line any library logs goes through it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        return True


_FILTER = SecretsFilter()


def install_secrets_filter() -> None:
    """Put the filter on every handler of the root logger (idempotent).

    Called from the add-on's ``update_settings``, which Scrapy runs before it logs the
    overridden settings, and again when the crawl starts for handlers added later.
    """
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)

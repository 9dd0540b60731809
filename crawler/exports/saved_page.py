"""Saved web pages (.html, .htm, .mhtml) and plain-text tracklists, through the page registry.

The same page classes as live crawls read them (``crawler.sites.extract_sets``), with
the URL the page records for itself, so an imported page and a crawled one give the
same set. A plain text file is wrapped in ``<pre>`` so the text-block page class can
find its numbered lines.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from crawler.exports._common import file_uri
from crawler.exports._errors import NoSetsFound, UnreadableFile
from crawler.exports._text import decode
from crawler.items import DJSet
from crawler.sites.saved import canonical_url, decode_html, is_mhtml, unpack_mhtml

_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
HTML_EXTENSIONS = (".html", ".htm", ".xhtml", ".shtml")


def _extract(url: str, page: str) -> list[DJSet]:
    from crawler.sites import extract_sets  # the registry imports every page class
    from crawler.sites.textblock import why_no_tracklist

    sets = extract_sets(url, page)
    if not sets:
        raise NoSetsFound(why_no_tracklist(page))
    return sets


def sniff_html(path: Path, head: str) -> bool:
    return bool(_HTML_START.match(head[:8192])) or (
        path.suffix.lower() in HTML_EXTENSIONS and "<" in head[:8192]
    )


def read_html(path: Path, data: bytes) -> list[DJSet]:
    page = decode_html(data)
    return _extract(canonical_url(page) or file_uri(path), page)


def sniff_mhtml(path: Path, head: bytes) -> bool:
    return is_mhtml(head)


def read_mhtml(path: Path, data: bytes) -> list[DJSet]:
    unpacked = unpack_mhtml(data)
    if unpacked is None:
        raise UnreadableFile("MHTML archive without an HTML page")
    recorded, page = unpacked
    return _extract(canonical_url(page) or recorded or file_uri(path), page)


def read_text(path: Path, data: bytes) -> list[DJSet]:
    page = f"<html><body><pre>{html.escape(decode(data).lstrip(chr(0xFEFF)))}</pre></body></html>"
    return _extract(file_uri(path), page)

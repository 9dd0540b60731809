"""Saved web pages: their own URL, their text, and single-file MHTML archives.

A page saved by a browser records where it came from in one of three ways: a
``<link rel="canonical">``, an ``og:url`` meta tag, or the ``<!-- saved from url=(NNNN)...
-->`` comment browsers write. Imports use that URL, so a saved page and the same page
crawled live land on the same set in the store. Everything here is pure and works on
the first bytes of the page, without building a DOM.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    to_unicode,
)

__all__ = ["canonical_url", "decode_html", "is_mhtml", "unpack_mhtml"]

_HEAD_CHARS = 200_000
_TAG = re.compile(r"<(link|meta)\b([^>]*)>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)


def _attrs(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR.finditer(raw)
    }


def _absolute(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def canonical_url(page: str) -> str | None:
    """The URL a saved page records for itself, or None (then callers use file://).

    Preference: rel=canonical, then og:url, then the browser's "saved from" comment.
    Only absolute http(s) URLs count: a relative canonical says nothing about the host.
    """
    head = page[:_HEAD_CHARS]
    end = head.find("</head")
    if end != -1:
        head = head[:end]
    canonical = og_url = None
    for match in _TAG.finditer(head):
        raw = match.group(2).lower()
        if "canonical" not in raw and "og:url" not in raw:
            continue  # most tags are neither: skip parsing their attributes
        attrs = _attrs(match.group(2))
        if match.group(1).lower() == "link":
            rels = attrs.get("rel", "").lower().split()
            if "canonical" in rels and canonical is None:
                canonical = _absolute(attrs.get("href"))
        elif attrs.get("property", attrs.get("name", "")).lower() == "og:url" and og_url is None:
            og_url = _absolute(attrs.get("content"))
    if canonical or og_url:
        return canonical or og_url
    saved = _SAVED_FROM.search(page[:_HEAD_CHARS])
    return _absolute(saved.group(1)) if saved else None


def _detect(data: bytes) -> str:
    """Unlabeled pages: strict UTF-8, else windows-1252 (the WHATWG default for the web)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Page bytes to text: BOM, then HTTP/meta charset, then strict UTF-8 or cp1252.

    w3lib's parts, not ``html_to_unicode(auto_detect_fun=...)``: w3lib 2.6 deprecates that
    parameter, and its own guess for unlabeled pages goes by the URL's domain, which a
    saved file has none of."""
    bom_encoding, bom = read_bom(data)
    if bom_encoding is not None and bom is not None:
        return to_unicode(data[len(bom) :], bom_encoding)
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(data)
    return to_unicode(data, declared or _detect(data))


def is_mhtml(head: bytes) -> bool:
    """Whether bytes start a single-file web archive (Chrome/Edge "Save as MHTML")."""
    start = head[:4096].lower()
    return b"mime-version:" in start and b"multipart/related" in start


def unpack_mhtml(data: bytes) -> tuple[str | None, str] | None:
    """(recorded URL, HTML text) of the archive's main page, or None when it has none.

    The main page is the first text/html part; its URL comes from the archive's
    ``Snapshot-Content-Location`` header or the part's ``Content-Location``.
    """
    message = email.message_from_bytes(data, policy=email.policy.default)
    snapshot = message.get("Snapshot-Content-Location")
    for part in message.walk():
        if part.get_content_type() != "text/html" or not isinstance(part, EmailMessage):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset()
        text = decode_html(payload, f"text/html; charset={charset}" if charset else None)
        url = _absolute(snapshot) or _absolute(part.get("Content-Location"))
        return url, text
    return None

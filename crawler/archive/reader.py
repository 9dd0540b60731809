"""Archived responses read back from WARC files (ours, wget's, Webrecorder's, the
Internet Archive's) and WACZ packages, one record at a time: flat memory whatever the size.

Only ``response`` records count (requests, metadata, warcinfo, resources are read past),
and ``conversion`` records (a DOM our crawls kept for a rendered page). A body is given
decoded as a browser would have it (chunking and ``Content-Encoding`` undone, by warcio);
the ``metadata`` record our own archive writes after a response is attached to it, so that
what permitted a page (its AI-use preferences) comes back with it.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator

__all__ = [
    "ArchivedResponse",
    "ai_use_recorded",
    "archived_responses",
    "is_web_archive",
    "warc_files",
]

logger = logging.getLogger(__name__)

WEB_ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".wacz")
_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_PREFERENCE_HEADERS = ("content-usage", "content-signal", "tdm-reservation")


def is_web_archive(path: Path) -> bool:
    return path.name.lower().endswith(WEB_ARCHIVE_SUFFIXES)


def warc_files(folder: Path) -> list[Path]:
    """The closed WARC files of a folder (a crawl's archive), oldest first: a file still
    being written (``.open``) is left out."""
    return sorted(p for p in folder.iterdir() if p.is_file() and is_web_archive(p))


@dataclass
class ArchivedResponse:
    url: str
    captured_at: datetime
    """The record's ``WARC-Date``: when the page was fetched."""
    status: int
    content_type: str
    body: bytes
    """Decoded (no chunking, no ``Content-Encoding``)."""
    kind: str = "response"
    """``response``, or ``conversion`` (the DOM of a rendered page)."""
    fields: dict[str, str] = field(default_factory=dict)
    """The ``metadata`` record written with it by our archive (empty for others')."""
    preference_headers: dict[str, str] = field(default_factory=dict)
    """Its ``Content-Usage``, ``Content-Signal`` and ``tdm-reservation`` headers."""

    @property
    def is_page(self) -> bool:
        return self.status == 200 and self.content_type.startswith(_PAGE_TYPES)


def _date(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _fields(body: bytes) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in body.decode("utf-8", "replace").splitlines())
    return {p[0].strip(): p[1].strip() for p in pairs if len(p) == 2}


def _response(record: Any, max_bytes: int) -> ArchivedResponse | None:
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if not url.startswith(("http:", "https:")):
        return None
    date = _date(record.rec_headers.get_header("WARC-Date"))
    if record.rec_type == "conversion":
        body = record.content_stream().read(max_bytes + 1)
        ctype = record.rec_headers.get_header("Content-Type") or "text/html"
        return None if len(body) > max_bytes else ArchivedResponse(
            url, date, 200, ctype.lower(), body, "conversion"
        )  # fmt: skip
    http = record.http_headers
    if http is None:
        return None
    try:
        status = int(http.get_statuscode())
    except (TypeError, ValueError):
        return None
    ctype = (http.get_header("Content-Type") or "").lower()
    body = record.content_stream().read(max_bytes + 1) if ctype.startswith(_PAGE_TYPES) else b""
    if len(body) > max_bytes:
        logger.warning("Archived page larger than %d bytes left out: %s", max_bytes, url)
        return None
    prefs = {name: value for name in _PREFERENCE_HEADERS if (value := http.get_header(name))}
    return ArchivedResponse(url, date, status, ctype, body, preference_headers=prefs)


def _from_stream(stream: IO[bytes], max_bytes: int) -> Iterator[ArchivedResponse]:
    pending: tuple[str, ArchivedResponse] | None = None
    for record in ArchiveIterator(stream):
        kind = record.rec_type
        if kind == "metadata" and pending is not None:
            if record.rec_headers.get_header("WARC-Refers-To") == pending[0]:
                pending[1].fields = _fields(record.content_stream().read(64 * 1024))
            continue
        if kind not in ("response", "conversion"):
            continue
        found = _response(record, max_bytes)
        if found is None:
            continue
        if pending is not None:
            yield pending[1]
        pending = (record.rec_headers.get_header("WARC-Record-ID") or "", found)
    if pending is not None:
        yield pending[1]


def archived_responses(path: Path, max_bytes: int = 50 * 1024 * 1024) -> Iterator[ArchivedResponse]:
    """The responses of a WARC file (``.warc``, ``.warc.gz``) or of every WARC in a WACZ
    package, in their order; pages larger than ``max_bytes`` decoded are left out, logged."""
    if path.name.lower().endswith(".wacz"):
        with zipfile.ZipFile(path) as package:
            names = sorted(
                n for n in package.namelist() if n.lower().endswith((".warc", ".warc.gz"))
            )
            for name in names:
                with package.open(name) as member:
                    yield from _from_stream(member, max_bytes)
        return
    with path.open("rb") as stream:
        yield from _from_stream(stream, max_bytes)


def ai_use_recorded(response: ArchivedResponse) -> dict[str, Any]:
    """The AI-use preferences that applied to an archived page: as our archive's metadata
    record says (robots.txt's lines included), else from the response's own headers."""
    from urllib.parse import urlsplit

    from crawler.politeness.aiuse import ai_use_for

    recorded: dict[str, Any] = {}
    for key, value in response.fields.items():
        if key.startswith("ai-use-"):
            name = key.removeprefix("ai-use-").replace("-", "_")
            recorded[name] = {"True": True, "False": False, "None": None}.get(value, value)
    if recorded or response.fields:
        return recorded
    headers = response.preference_headers
    return ai_use_for(
        urlsplit(response.url).path or "/",
        headers.get("content-usage"),
        headers.get("content-signal"),
        tdm_reserved=headers.get("tdm-reservation", "").strip() == "1",
    )

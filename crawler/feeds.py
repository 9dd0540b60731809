"""Feed formats beyond Scrapy's own: a CSV with one row per track entry.

Scrapy's JSON and JSON Lines exporters already write ``DJSet`` items with nested tracks;
CSV cannot nest, so each track entry is a row with its set's columns repeated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from io import BytesIO, TextIOWrapper
from typing import Any

from scrapy.exporters import BaseItemExporter

from crawler.items import DJSet, TrackEntry

CSV_COLUMNS = (
    "set_title", "set_url", "djs", "date", "position", "cue_s",
    "artist", "featured", "title", "version", "label", "unknown", "key",
)  # fmt: skip
"""New columns go last, so that readers that take columns by place keep working."""
LIST_SEPARATOR = "; "
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (OWASP's advice: a leading quote)."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    return neutralize(str(value))


def csv_rows(item: DJSet) -> Iterator[list[str]]:
    """Rows for one set; a set without tracks still gets one row, so it is not lost."""
    head = [item.title, item.djs, item.date]
    tracks: list[TrackEntry | None] = list(item.tracks) or [None]
    for t in tracks:
        track = (
            [t.position, t.cue_s, t.artist, t.featured, t.title, t.version, t.label, t.unknown,
             t.key]
            if t is not None
            else [None] * (len(CSV_COLUMNS) - 4)
        )  # fmt: skip
        row = [head[0], item.url, head[1], head[2], *track]
        yield [_cell(v) for v in row]


class TrackCsvItemExporter(BaseItemExporter):
    def __init__(self, file: BytesIO, **kwargs: Any) -> None:
        kwargs.pop("include_headers_line", None)
        kwargs.pop("join_multivalued", None)
        super().__init__(dont_fail=True, **kwargs)
        self.stream = TextIOWrapper(file, encoding=self.encoding or "utf-8", newline="",
                                    write_through=True)  # fmt: skip
        self.writer = csv.writer(self.stream)

    def start_exporting(self) -> None:
        self.writer.writerow(CSV_COLUMNS)

    def export_item(self, item: Any) -> None:
        if isinstance(item, DJSet):
            self.writer.writerows(csv_rows(item))

    def finish_exporting(self) -> None:
        self.stream.detach()  # the feed storage closes the file, not us

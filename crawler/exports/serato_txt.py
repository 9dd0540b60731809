"""Serato DJ history exported as text: fixed-width columns under a dashed rule.

The header names the columns the user chose, each starting where its name starts;
a line of dashes follows it and the session row. Each cell is the text between its
column's start and the next one's, and the rows then read like the CSV export's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from crawler.exports.serato_csv import history_sets, is_history_header
from crawler.items import DJSet

_NAME = re.compile(r"\S+(?: \S+)*")  # column names hold single spaces ("start time")
_RULE = re.compile(r"^-{10,}\s*$")


def _columns(header: str) -> list[tuple[str, int]]:
    return [(m.group(0).casefold(), m.start()) for m in _NAME.finditer(header)]


def sniff(path: Path, head: str) -> bool:
    lines = head.lstrip("\ufeff").split("\n", 2)
    if len(lines) < 2 or not _RULE.match(lines[1]):
        return False
    return is_history_header([name for name, _ in _columns(lines[0])])


def _cells(line: str, columns: list[tuple[str, int]]) -> dict[str, str]:
    row = {}
    for i, (name, start) in enumerate(columns):
        end = columns[i + 1][1] if i + 1 < len(columns) else len(line)
        row[name] = line[start:end].strip()
    return row


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    header = next(lines, None)
    columns = _columns(header) if header is not None else []
    rows = (_cells(line, columns) for line in lines if line.strip() and not _RULE.match(line))
    return history_sets(path, rows, max_tracks)

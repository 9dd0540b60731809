"""Normalization: pure functions from hand-written tracklist text to clean fields and keys.

Used by the pipeline for every source (crawled pages, saved pages, DJ-software
exports), so that the same track reads the same however and wherever it was written.
"""

from __future__ import annotations

from crawler.normalize._dates import DATE_PATTERN, is_date
from crawler.normalize._keys import artist_key, fold, track_key
from crawler.normalize._line import parse_track_line
from crawler.normalize._text import clean_text
from crawler.normalize._track import normalize_set, normalize_track
from crawler.normalize.duplicates import find_near_duplicates

__all__ = [
    "DATE_PATTERN",
    "artist_key",
    "clean_text",
    "find_near_duplicates",
    "fold",
    "is_date",
    "normalize_set",
    "normalize_track",
    "parse_track_line",
    "track_key",
]

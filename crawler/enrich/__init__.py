"""Identifiers for the tracks already stored: MusicBrainz recordings found by search.

``matching`` scores a candidate recording against a stored track (pure); ``store`` reads
the tracks still missing an MBID and writes what was found; ``spider`` asks the web
service, paced like every crawl; ``pipeline`` writes each answer as it comes.
"""

from __future__ import annotations

from crawler.enrich.matching import Candidate, Wanted, best_match, score

__all__ = ["Candidate", "Wanted", "best_match", "score"]

"""How sure a MusicBrainz recording is the stored track: a documented, pure score.

Both sides go through the same normalizer (``crawler.normalize``: featured artists out,
the version out of the title), then, with rapidfuzz on folded text (``fold``: case,
accents, punctuation):

- ``artist``: ``token_set_ratio`` of the main artists (order and "&"/"and" don't matter,
  a credit that only adds names still agrees);
- ``title``: ``token_sort_ratio`` of the titles without their versions;
- ``version``: 100 when both have none; ``token_sort_ratio`` of the two when both have
  one and it is at least 80; 0 otherwise (an original is not its remix, nor one remix
  another);
- ``duration`` (only when both sides know it): 100 within 3 s, falling linearly to 0 at
  30 s apart.

score = 0.4 x artist + 0.4 x title + 0.2 x version, and with a duration,
0.8 x that + 0.2 x duration. A candidate whose artist is under 70 or title under 80
is refused whatever its score; a match is accepted at ``ENRICH_MIN_SCORE`` (85) or more.
So an exact artist and title with another version scores 80 (0.4·100 + 0.4·100 + 0.2·0),
84 with a duration that agrees, and the same version with lengths 30 s or more apart
scores 80: all refused; a one-letter typo in a short title still passes (95.6 for
"Lunes" against "Lune").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from crawler.items import TrackEntry
from crawler.normalize import fold, normalize_track

__all__ = ["Candidate", "Wanted", "best_match", "candidates", "score"]

WEIGHTS = {"artist": 0.4, "title": 0.4, "version": 0.2}
DURATION_WEIGHT = 0.2
ARTIST_FLOOR = 70.0
TITLE_FLOOR = 80.0
VERSION_FLOOR = 80.0
DURATION_EXACT_S = 3
DURATION_ZERO_S = 30


@dataclass(frozen=True)
class Wanted:
    """A stored track to find: what the store knows of it."""

    track_id: int
    artist: str
    title: str
    version: str | None = None
    duration_s: int | None = None


@dataclass(frozen=True)
class Candidate:
    """One recording of a search answer, normalized like our tracks."""

    mbid: str
    artist: str | None
    title: str | None
    version: str | None
    duration_s: int | None
    isrcs: list[str] = field(default_factory=list)
    search_score: int | None = None


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    parts: dict[str, float]
    refused: str | None = None
    """Why the candidate is refused whatever its score (a floor), or None."""


def _credit(credits: list[dict[str, Any]] | None) -> str | None:
    from crawler.sites.musicbrainz import split_credit

    return split_credit(credits)[0]


def candidates(answer: dict[str, Any]) -> list[Candidate]:
    """The recordings of a ``/ws/2/recording?query=`` answer."""
    found = []
    for rec in answer.get("recordings") or []:
        if not rec.get("id"):
            continue
        entry = normalize_track(
            TrackEntry(artist=_credit(rec.get("artist-credit")), title=rec.get("title"))
        )
        version = entry.version
        if version is None and rec.get("disambiguation"):
            # "original stereo mix", "radio edit": MusicBrainz often says it here.
            version = normalize_track(
                TrackEntry(artist="x", title=f"x ({rec['disambiguation']})")
            ).version
        length = rec.get("length")
        found.append(
            Candidate(
                mbid=rec["id"],
                artist=entry.artist,
                title=entry.title,
                version=version,
                duration_s=round(length / 1000) if isinstance(length, int | float) else None,
                isrcs=list(rec.get("isrcs") or []),
                search_score=rec.get("score"),
            )
        )
    return found


def _ratio(scorer: Any, a: str | None, b: str | None) -> float:
    return float(scorer(fold(a), fold(b))) if a and b else 0.0


def _version(ours: str | None, theirs: str | None) -> float:
    if not ours and not theirs:
        return 100.0
    agreement = _ratio(fuzz.token_sort_ratio, ours, theirs)
    return agreement if agreement >= VERSION_FLOOR else 0.0


def _duration(ours: int | None, theirs: int | None) -> float | None:
    if not ours or not theirs:
        return None
    apart = abs(ours - theirs)
    if apart <= DURATION_EXACT_S:
        return 100.0
    return max(0.0, 100.0 * (DURATION_ZERO_S - apart) / (DURATION_ZERO_S - DURATION_EXACT_S))


def score(wanted: Wanted, candidate: Candidate) -> Scored:
    parts = {
        "artist": _ratio(fuzz.token_set_ratio, wanted.artist, candidate.artist),
        "title": _ratio(fuzz.token_sort_ratio, wanted.title, candidate.title),
        "version": _version(wanted.version, candidate.version),
    }
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    duration = _duration(wanted.duration_s, candidate.duration_s)
    if duration is not None:
        parts["duration"] = duration
        total = (1 - DURATION_WEIGHT) * total + DURATION_WEIGHT * duration
    refused = None
    if parts["artist"] < ARTIST_FLOOR:
        refused = f"artist {parts['artist']:.0f} < {ARTIST_FLOOR:.0f}"
    elif parts["title"] < TITLE_FLOOR:
        refused = f"title {parts['title']:.0f} < {TITLE_FLOOR:.0f}"
    return Scored(candidate, round(total, 1), parts, refused)


def best_match(wanted: Wanted, found: list[Candidate], min_score: float) -> Scored | None:
    """The best candidate at ``min_score`` or above that no floor refuses, else None."""
    scored = [s for s in (score(wanted, c) for c in found) if s.refused is None]
    scored = [s for s in scored if s.score >= min_score]
    return max(scored, key=lambda s: s.score, default=None)

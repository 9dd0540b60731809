"""The items every source produces: live crawls, saved pages and DJ-software exports.

They are plain dataclasses, so page classes and export readers need no Scrapy, and
ItemAdapter (hence Scrapy's feed exports) handles them as items. JSON feeds use exactly
these field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class TrackEntry:
    """One line of a tracklist, as played in a set."""

    position: int | None = None
    """1-based place in the set."""
    cue_s: int | None = None
    """Seconds into the set, or None when the tracklist gives no time."""
    artist: str | None = None
    """Main credit as credited, featured artists removed; None when unknown."""
    featured: list[str] = field(default_factory=list)
    title: str | None = None
    version: str | None = None
    """Remix/edit/mix name; None for none or "Original Mix"."""
    label: str | None = None
    unknown: bool = False
    """True for "ID" tracks."""
    with_previous: bool = False
    """True when played together with the previous entry ("w/")."""
    raw: str | None = None
    """The original text (or fields) this entry was read from, for provenance."""
    key: str | None = None
    """Musical key as the DJ software or the title gave it ("Am", "8A", "1m")."""
    # Identifiers, from sources that have them (MusicBrainz, Discogs); they come last so
    # that the text fields above keep their places in store rows and feeds.
    recording_mbid: str | None = None
    """MusicBrainz recording MBID, when the source gives it."""
    release_group_mbid: str | None = None
    """MusicBrainz release-group MBID of the record the track was played from (KEXP)."""
    isrcs: list[str] = field(default_factory=list)
    duration_s: int | None = None
    """Length of the track itself (not of its part in the set), when known."""


@dataclass
class SetNotes:
    """What rides with a set besides its fields, for the pipelines and the store: not a
    field of :class:`DJSet`, so feeds, content hashes and equality never see it. A copy
    made with ``dataclasses.replace`` starts with fresh notes (and is normalized again)."""

    tracks_seen: int = 0
    """How many tracks the source listed, when a reader kept only the first ones."""
    captured_at: datetime | None = None
    """When the set's page was fetched (a web archive's capture date)."""
    ai_use: dict[str, Any] | None = None
    """The AI-use preferences that applied to the page (crawler/politeness/aiuse.py)."""
    normalized: bool = False
    """Already normalized (by an import's reader process): NormalizePipeline passes it on."""
    prepared: tuple[tuple[Any, ...], list[tuple[Any, ...]], str, str | None] | None = None
    """What a reader process computed of the set for the store (its content hash and
    content key) with the values it computed them from: head, tracks, digest, key."""


@dataclass
class DJSet:
    """One DJ set with its tracklist."""

    source: str
    """Site key or export format, e.g. ``schema.org``, ``traktor``."""
    url: str
    """The page URL, or a ``file://`` URI for files."""
    title: str | None = None
    djs: list[str] = field(default_factory=list)
    event: str | None = None
    venue: str | None = None
    date: str | None = None
    """ISO ``YYYY-MM-DD`` or None."""
    duration_s: int | None = None
    genres: list[str] = field(default_factory=list)
    label: str | None = None
    """The label that released the set (MusicBrainz and Discogs releases)."""
    tracks: list[TrackEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.notes = SetNotes()
        """Not a field (see :class:`SetNotes`)."""


def mark_tracks_seen(djset: DJSet, count: int) -> None:
    """Say that the source listed ``count`` tracks, of which the reader kept only the
    first ones (a file streamed past ``MAX_TRACKS_PER_SET``), so that the cut is reported
    with the true count."""
    if count > len(djset.tracks):
        djset.notes.tracks_seen = count


def tracks_seen(djset: DJSet) -> int:
    """How many tracks the source listed: those kept, or more when a reader cut them."""
    return max(len(djset.tracks), djset.notes.tracks_seen)


TRACK_FIELDS: tuple[str, ...] = tuple(TrackEntry.__dataclass_fields__)
TRACK_ID_FIELDS: tuple[str, ...] = ("recording_mbid", "release_group_mbid", "isrcs", "duration_s")
"""The last fields of ``TrackEntry``: identifiers, stored apart from the text columns."""
TRACK_KEY_INDEX = TRACK_FIELDS.index("key")
"""Where ``key`` is in a track's field values: content hashes leave out a key that is
None, so that sets stored before tracks had keys keep their hashes."""
TRACK_RELEASE_GROUP_INDEX = TRACK_FIELDS.index("release_group_mbid")
"""Where ``release_group_mbid`` is: left out of content hashes when None, as ``key`` is."""
SET_FIELDS: tuple[str, ...] = tuple(DJSet.__dataclass_fields__)


def mark_provenance(
    djset: DJSet, captured_at: datetime | None = None, ai_use: dict[str, Any] | None = None
) -> None:
    """Say when the page of a set was fetched (a web archive's capture date) and the AI-use
    preferences that applied to it (crawler/politeness/aiuse.py), kept by the store."""
    if captured_at is not None:
        djset.notes.captured_at = captured_at
    if ai_use:
        djset.notes.ai_use = ai_use


def captured_at(djset: DJSet) -> datetime | None:
    return djset.notes.captured_at


def ai_use_of(djset: DJSet) -> dict[str, Any] | None:
    return djset.notes.ai_use


def carry_provenance(source: DJSet, target: DJSet) -> DJSet:
    """``target`` (a normalized copy of ``source``) with ``source``'s capture date and
    AI-use preferences."""
    target.notes.captured_at = source.notes.captured_at
    target.notes.ai_use = source.notes.ai_use
    return target

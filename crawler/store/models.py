"""The tables: sources, sets, artists, tracks, set entries, fetched pages and crawl runs.

Artists and tracks are keyed by their identity keys (crawler.normalize), so that one
track is one row however each tracklist wrote it; a set entry keeps the text as credited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}
    __table__: ClassVar[Table]  # a Table, not the FromClause SQLAlchemy types it as


class Source(Base):
    """A site key (``schema.org``, ``mixesdb``) or an export format (``traktor``)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)


class Artist(Base):
    __tablename__ = "artists"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    """The name as first seen."""


class Track(Base):
    __tablename__ = "tracks"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    artist_id: Mapped[int | None] = mapped_column(ForeignKey("artists.id"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)
    # Identifiers (migration 0005): from a source (mbid_score is None) or found by
    # `crawler enrich musicbrainz` (crawler/enrich/), which never overwrites a source's.
    mbid: Mapped[str | None] = mapped_column(String(36), index=True)
    """MusicBrainz recording MBID; two spellings with one MBID are one track."""
    isrcs: Mapped[list[str] | None] = mapped_column(JSON)
    duration_s: Mapped[int | None]
    mbid_score: Mapped[float | None] = mapped_column(Float)
    """Confidence (0-100) of an enrichment match; None when a source gave the MBID."""
    mbid_matched_at: Mapped[datetime | None]
    mbid_checked_at: Mapped[datetime | None]
    """When enrichment last looked the track up (matched or not): resumes skip it."""


class DJSetRow(Base):
    __tablename__ = "sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    djs: Mapped[list[str]] = mapped_column(default=list)
    """DJ names as credited, in order (the ``set_djs`` rows link them to artists)."""
    event: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(10))
    duration_s: Mapped[int | None]
    genres: Mapped[list[str]] = mapped_column(default=list)
    label: Mapped[str | None] = mapped_column(Text)
    """The releasing label (MusicBrainz and Discogs releases; migration 0005)."""
    content_hash: Mapped[str] = mapped_column(String(64))
    """Hash of the normalized item: an unchanged set is not written again."""
    first_seen: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)  # serve's ETags (migration 0009)
    gone_at: Mapped[datetime | None]
    """When the set was found gone from its site (marked, never deleted)."""
    content_key: Mapped[str | None] = mapped_column(String(64), index=True)
    """The set's content identity (crawler.store.identity): the same set seen at
    another URL has the same key, and is stored once."""
    ai_use: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The AI-use preferences that applied to its page (crawler/politeness/aiuse.py;
    migration 0010); None when none was seen."""
    captured_at: Mapped[datetime | None]
    """When its page was fetched, for a set read from a web archive (``WARC-Date``)."""

    source: Mapped[Source] = relationship()
    entries: Mapped[list[SetEntry]] = relationship(
        order_by="SetEntry.ordinal", cascade="all, delete-orphan", passive_deletes=True
    )


class SetDJ(Base):
    __tablename__ = "set_djs"
    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id"), index=True)


class SetEntry(Base):
    __tablename__ = "set_entries"
    __table_args__ = (UniqueConstraint("set_id", "ordinal"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"))
    ordinal: Mapped[int]
    """0-based place in the list (positions written by hand may repeat)."""
    position: Mapped[int | None]
    cue_s: Mapped[int | None]
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id"), index=True)
    artist: Mapped[str | None] = mapped_column(Text)
    featured: Mapped[list[str]] = mapped_column(default=list)
    title: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)
    unknown: Mapped[bool] = mapped_column(default=False)
    with_previous: Mapped[bool] = mapped_column(default=False)
    raw: Mapped[str | None] = mapped_column(Text)
    recording_mbid: Mapped[str | None] = mapped_column(String(36))
    """The MusicBrainz recording MBID the source gave for this entry (migration 0005)."""
    key: Mapped[str | None] = mapped_column(String(16))
    """Musical key of the track as played (DJ software, or a key written in the title;
    migration 0011)."""
    release_group_mbid: Mapped[str | None] = mapped_column(String(36))
    """The MusicBrainz release-group MBID the source gave for this entry (migration 0012)."""

    track: Mapped[Track | None] = relationship(viewonly=True)
    """Where the track's own identifiers are kept (ISRCs, its length)."""


class Page(Base):
    """A fetched page: what came back, and what a conditional re-fetch needs."""

    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[int]
    fetched_at: Mapped[datetime]
    content_hash: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    ai_use: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The AI-use preferences that applied to the page when fetched (migration 0010)."""


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_spider_started", "spider", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    """The scheduled crawl's name, when it ran from a schedule."""
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    """Scrapy's reason (``finished``, ``shutdown``, ...), or the runner's (``died ...``)."""
    outcome: Mapped[str | None] = mapped_column(String(16))
    """``ok``, ``partial``, ``failed`` or ``refused`` (crawler/monitor/outcome.py)."""
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    politeness: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- Incremental and scheduled crawls (crawler/incremental/, crawler/schedule/) ------------


class PageLinks(Base):
    """The requests a page led to when it was last parsed.

    A page answered 304 is not parsed again; its links come from here, so that a recrawl
    still reaches every page, and a crawl resumed after a crash finds what it had not
    fetched yet.
    """

    __tablename__ = "page_links"
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """``[url, callback name or null, sitemap lastmod or null]`` per followed request."""


class CrawlLock(Base):
    """A scheduled crawl that is running: at most one row, so at most one run, per name."""

    __tablename__ = "crawl_locks"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    """A token unique to the holder: only it may refresh or release the lock."""
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    """The crawl's process; on the same host, a dead pid makes the lock stale at once."""
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class SetSource(Base):
    """A URL where a stored set was seen: its own, and every other page or file that
    holds the same set (one ``sets`` row per real set)."""

    __tablename__ = "set_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime]
    merged: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Made a source of this set by ``crawler duplicates --merge`` (migration 0016): met
    again, it stays one, whatever it holds then; a source found by content identity is
    one only while its content is the set's."""


class ArtistAlias(Base):
    """A spelling merged into another artist (``crawler duplicates --merge``): seen
    again, it maps to the kept row instead of coming back as an artist of its own."""

    __tablename__ = "artist_aliases"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    """The kept artist's name, written in place of the merged spelling."""
    merged_at: Mapped[datetime]


class TdmRepFile(Base):
    """What an origin's ``/.well-known/tdmrep.json`` said (``[]`` for none, or a 404),
    so that a recrawl within ``ROBOTSTXT_CACHE_SECONDS`` does not ask again."""

    __tablename__ = "tdmrep_files"
    origin: Mapped[str] = mapped_column(String(512), primary_key=True)
    rules: Mapped[list[Any]] = mapped_column(JSON)
    """``[location, reserved]`` pairs, in the file's order."""
    fetched_at: Mapped[datetime]


class RobotsTxtFile(Base):
    """What an origin's robots.txt said, so that a recrawl within ``ROBOTSTXT_CACHE_SECONDS``
    does not ask again: a parsed file's bytes (parsed again when read), or "unavailable:
    all allowed". An unreachable robots.txt is never kept: the next run asks again."""

    __tablename__ = "robots_files"
    origin: Mapped[str] = mapped_column(String(512), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``parsed`` or ``allow_all``."""
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[bytes] = mapped_column(LargeBinary)
    """The bytes that were parsed (at most ``ROBOTSTXT_MAX_BYTES``)."""
    truncated: Mapped[bool]
    fetched_at: Mapped[datetime]


class HostQuotaDay(Base):
    """Requests sent to a site with a daily limit (site terms), per UTC day, so that a
    second run on the same day continues from what is left."""

    __tablename__ = "host_quota_days"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    """The site-terms domain the limit belongs to (``setlist.fm`` for ``api.setlist.fm``)."""
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    used: Mapped[int]


class HostLastRequest(Base):
    """When the last request to a host left and when its answer came back (seconds since
    the epoch), so that a crawl started right after another keeps the host's gap; and the
    earliest start of the next request by the gap the host asked for then (its Crawl-delay,
    which the next run only learns once it has read robots.txt again)."""

    __tablename__ = "host_last_requests"
    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    sent_at: Mapped[float] = mapped_column(Float)
    done_at: Mapped[float] = mapped_column(Float)
    next_at: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


# --- crawler serve: keys and crawl jobs (crawler/serve/keys.py, crawler/serve/jobs.py) -----


class ServeKey(Base):
    """An API key of ``crawler serve``: only its SHA-256 is kept, the key is shown once."""

    __tablename__ = "serve_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class CrawlJob(Base):
    """A crawl started over HTTP: queued, then run by the serve process or scrapyd; its
    crawl writes the ``crawl_runs`` row named ``job:<id>`` (``run_id`` once it ended)."""

    __tablename__ = "crawl_jobs"
    __table_args__ = (Index("ix_crawl_jobs_status", "status", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    key_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    """``queued``, ``running``, ``cancelled``, then the run's outcome."""
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    runner: Mapped[str | None] = mapped_column(String(200))
    """``pid N on HOST`` for the local runner, the scrapyd job id for scrapyd."""
    server: Mapped[str | None] = mapped_column(String(64))
    """A digest of the ``crawler serve -s`` settings of the server that accepted the job
    (migration 0015): only a runner started with the same ones runs it, since they are
    what the job was checked against and what its crawl gets. None: any runner."""
    log_path: Mapped[str | None] = mapped_column(Text)
    exit_code: Mapped[int | None]
    run_id: Mapped[int | None]

"""Properties that must hold for any input, not only the lines in the table."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawler.items import DJSet, TrackEntry
from crawler.normalize import (
    artist_key,
    clean_text,
    normalize_set,
    normalize_track,
    parse_track_line,
    track_key,
)
from crawler.normalize._text import strip_controls

# Words as tracklists write them: Latin letters with and without accents, digits, the
# punctuation of names ("M.O.S.", "D'n'B", "Jay-Z"), and a few other scripts.
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ACCENTED = "éèêëáàâäãåíìîïóòôöõúùûüýÿñçÉÈÁÀÂÄÃÍÎÓÖÚÜÑÇŸ"
_WORD = st.text(alphabet=_LETTERS + _ACCENTED + ".'!-", min_size=1, max_size=10)
_OTHER_WORD = st.text(alphabet="Кинорупаβγδ日本語ø", min_size=1, max_size=6)
_NAME = st.lists(st.one_of(_WORD, _WORD, _OTHER_WORD), min_size=1, max_size=4).map(" ".join)
_GROUP = st.one_of(
    _NAME.map(lambda n: f"({n} Remix)"),
    _NAME.map(lambda n: f"(feat. {n})"),
    _NAME.map(lambda n: f"[{n}]"),
    _NAME.map(lambda n: f"({n})"),
    st.sampled_from(["(Original Mix)", "(VIP)", "(Dub)", "[Extended Mix]", "(Radio Edit)"]),
)
_PREFIX = st.sampled_from(
    ["", "01. ", "1) ", "[01] ", "#1 ", "[00:03:21] ", "[63:21] ", "(1:02:03) ", "03:21 ", "w/ ",
     "- ", "01. [000] ", "12 - "]
)  # fmt: skip
_SEP = st.sampled_from([" - ", " – ", " — ", " -- ", " -", "- ", " "])
_FEAT = st.one_of(st.just(""), _NAME.map(lambda n: f" ft. {n}"), _NAME.map(lambda n: f" feat {n}"))
_LINE = st.builds(
    lambda p, a, f, s, t, g: f"{p}{a}{f}{s}{t}{' '.join(g)}".rstrip() if g else f"{p}{a}{f}{s}{t}",
    _PREFIX,
    st.one_of(_NAME, st.just("ID")),
    _FEAT,
    _SEP,
    st.one_of(_NAME, st.just("ID")),
    st.lists(_GROUP, max_size=3).map(lambda gs: [" " + g for g in gs]),
)
_ANY_TEXT = st.text(max_size=80)
_FIELD = st.one_of(st.none(), _ANY_TEXT, _NAME, _LINE)
_ENTRY = st.builds(
    TrackEntry,
    position=st.one_of(st.none(), st.integers(1, 500)),
    cue_s=st.one_of(st.none(), st.integers(0, 20000)),
    artist=_FIELD,
    featured=st.lists(st.one_of(_NAME, _ANY_TEXT), max_size=3),
    title=_FIELD,
    version=st.one_of(st.none(), _NAME, st.just("Original Mix")),
    label=st.one_of(st.none(), _NAME),
    unknown=st.booleans(),
    with_previous=st.booleans(),
    raw=st.one_of(st.none(), _LINE, _ANY_TEXT),
)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _respace(text: str) -> str:
    return "  " + "   ".join(text.split(" ")) + "\t"


@settings(max_examples=400)
@given(st.one_of(_ANY_TEXT, _LINE))
@example("&amp;amp;&notice (((((]]]]")
@example("[99:99] - - - ")
def test_parsing_never_raises_and_keeps_raw(text: str) -> None:
    entry = parse_track_line(text)
    assert entry.raw == strip_controls(text)
    assert entry.position is None or entry.position >= 0
    assert entry.cue_s is None or entry.cue_s >= 0


@settings(max_examples=400)
@given(st.one_of(_LINE, _ANY_TEXT))
def test_a_parsed_line_is_already_normal(text: str) -> None:
    entry = parse_track_line(text)
    assert normalize_track(entry) == entry


@settings(max_examples=400)
@given(_ENTRY)
def test_normalize_track_is_idempotent(entry: TrackEntry) -> None:
    once = normalize_track(entry)
    assert normalize_track(once) == once


@given(st.lists(_ENTRY, max_size=6), st.one_of(st.none(), _ANY_TEXT), st.lists(_NAME, max_size=3))
def test_normalize_set_is_idempotent(
    tracks: list[TrackEntry], title: str | None, djs: list[str]
) -> None:
    djset = DJSet(source="test", url="file:///x", title=title, djs=djs, genres=djs, tracks=tracks)
    once = normalize_set(djset)
    assert normalize_set(once) == once
    assert [t.position for t in once.tracks if t.position is None] == []


@settings(max_examples=300)
@given(_ANY_TEXT)
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    assert once is None or (once == once.strip() and "  " not in once)


@given(
    st.one_of(st.none(), _ANY_TEXT),
    st.one_of(st.none(), _ANY_TEXT),
    st.one_of(st.none(), _ANY_TEXT),
)
def test_keys_never_raise(artist: str | None, title: str | None, version: str | None) -> None:
    assert isinstance(artist_key(artist or ""), str)
    assert track_key(artist, title, version).count("|") >= 2


@settings(max_examples=300)
@given(_NAME)
def test_artist_key_ignores_case_accents_and_spacing(name: str) -> None:
    key = artist_key(name)
    assert artist_key(name.upper()) == key
    assert artist_key(name.lower()) == key
    assert artist_key(_strip_accents(name)) == key
    assert artist_key(_respace(name)) == key


@settings(max_examples=300)
@given(_NAME, _NAME, st.one_of(st.none(), _NAME))
def test_track_key_ignores_case_accents_and_spacing(
    artist: str, title: str, version: str | None
) -> None:
    key = track_key(artist, title, version)
    assert track_key(artist.swapcase(), title.upper(), version and version.lower()) == key
    assert (
        track_key(
            _strip_accents(artist), _strip_accents(title), version and _strip_accents(version)
        )
        == key
    )
    assert track_key(_respace(artist), _respace(title), version and _respace(version)) == key


@settings(max_examples=300)
@given(
    artist=_FIELD,
    title=_FIELD,
    version=_FIELD,
    label=_FIELD,
    featured=st.lists(_NAME, max_size=3),
    unknown=st.booleans(),
    position=st.one_of(st.none(), st.integers(1, 300)),
    raw=_FIELD,
)
def test_remembered_credits_equal_the_long_way(
    artist: str | None,
    title: str | None,
    version: str | None,
    label: str | None,
    featured: list[str],
    unknown: bool,
    position: int | None,
    raw: str | None,
) -> None:
    from crawler.normalize._track import _normalize_track

    entry = TrackEntry(position=position, artist=artist, title=title, version=version,
                       label=label, featured=featured, unknown=unknown, raw=raw)  # fmt: skip
    assert normalize_track(entry) == _normalize_track(entry)
    assert normalize_track(entry) == _normalize_track(entry)  # from the cache, too

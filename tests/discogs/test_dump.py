"""Discogs releases dumps: the DJ mixes of a real dump excerpt, streamed."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest

from crawler.exports import UnreadableFile
from crawler.exports.discogs_dump import DumpReader, _tracks, is_dump, release_sets
from crawler.normalize import normalize_set
from tests.conftest import FIXTURES, run_scrapy

DUMP = FIXTURES / "discogs" / "discogs_20200806_releases.xml.gz"
MIXES = [3, 36, 37, 49, 55, 56, 1586381, 1586416, 3019966, 7698106, 9343044, 12645458]


def xml_text() -> str:
    return gzip.decompress(DUMP.read_bytes()).decode("utf-8")


def release(release_id: int):  # type: ignore[no-untyped-def]
    match = re.search(rf'<release id="{release_id}".*?</release>', xml_text(), re.S)
    assert match is not None
    return fromstring(match.group(0))


def test_only_the_dj_mixes_of_a_dump_are_sets() -> None:
    reader = DumpReader(DUMP)
    sets = list(reader)
    pages = [f"https://www.discogs.com/release/{n}" for n in MIXES]
    assert list(dict.fromkeys(s.url.split("#")[0] for s in sets)) == pages
    assert reader.releases == 25 and reader.mixes == len(MIXES)
    assert {s.source for s in sets} == {"discogs"}


def test_a_dj_mix_credit_gives_the_djs_and_tracks_keep_their_order() -> None:
    (wink,) = map(normalize_set, release_sets(release(3)))
    assert (wink.title, wink.djs, wink.date, wink.label) == (
        "Profound Sounds Vol. 1", ["Josh Wink"], "1999-07-13", "Ruffhouse Records",
    )  # fmt: skip
    assert wink.genres == ["Techno", "Tech House"]
    assert len(wink.tracks) == 14 and [t.position for t in wink.tracks] == list(range(1, 15))
    first = wink.tracks[0]
    assert (first.artist, first.title, first.duration_s) == (
        "Heiko Laux & Johannes Heil", "Untitled 8", None,  # 7:00 is its part in the mix
    )  # fmt: skip
    assert wink.duration_s == 4053  # the mix: its 14 parts added up (1:07:33)
    assert wink.tracks[1].artist == "K.A.B."  # the name as credited (anv)
    assert wink.tracks[4].artist == "Care Company"  # "Care Company (2)": suffix dropped
    # "K-Mart Shopping (Hi-Fi Mix)", remixed by Alex Hi-Fi: the title already says so
    assert (wink.tracks[7].title, wink.tracks[7].version) == ("K-Mart Shopping", "Hi-Fi Mix")


def test_positions_sub_positions_and_featured_credits() -> None:
    kandi = normalize_set(release_sets(release(3019966))[0])
    assert kandi.djs == []  # "Various", no DJ Mix credit: nobody is named
    titles = [t.title for t in kandi.tracks]
    assert "Friday Evening" not in titles  # a heading, not a track
    a, b, ill = kandi.tracks[:3]
    assert a.raw.startswith("1-1a ") and not a.with_previous
    assert b.raw.startswith("1-1b ") and b.with_previous  # played over 1-1a
    assert (ill.artist, ill.featured, ill.version) == (
        "Danny Byrd", ["I-Kay"], "Dean Rigg & Christian Hoff Mix",
    )  # fmt: skip


def test_a_mix_on_three_discs_is_a_set_per_disc() -> None:
    # Hed Kandi: The Remix 2011, 3 x CD, "Mixed": a heading names each disc.
    sets = release_sets(release(3019966))
    page = "https://www.discogs.com/release/3019966"
    assert [(s.url, s.title) for s in sets] == [
        (f"{page}#disc1", "Hed Kandi: The Remix 2011: Friday Evening"),
        (f"{page}#disc2", "Hed Kandi: The Remix 2011: Saturday Night"),
        (f"{page}#disc3", "Hed Kandi: The Remix 2011: Sunday Morning"),
    ]
    assert [len(s.tracks) for s in sets] == [21, 20, 15]
    for disc, djset in enumerate(sets, 1):
        assert [t.position for t in djset.tracks] == list(range(1, len(djset.tracks) + 1))
        assert all(t.raw.startswith(f"{disc}-") for t in djset.tracks)
        assert (djset.label, djset.date) == ("Hed Kandi", "2010-09-29")
    assert sets[2].tracks[0].raw == "3-1 Dannii Minogue - More More More (Super Red Berry Mix)"


def test_discs_without_headings_are_named_by_their_format() -> None:
    text = (
        "<release id='9'><formats><format name='CD' qty='2'><descriptions><description>Mixed"
        "</description></descriptions></format></formats><title>T</title><tracklist>"
        + "".join(f"<track><position>{p}</position><title>S{p}</title><artists><artist><name>A"
                  "</name></artist></artists></track>" for p in ("CD1-1", "CD1-2", "CD2-1"))
        + "</tracklist></release>"
    )  # hand-written: "CD1-1" positions, no headings  # fmt: skip
    sets = release_sets(fromstring(text))
    assert [(s.url.split("/")[-1], s.title, len(s.tracks)) for s in sets] == [
        ("9#disc1", "T: CD 1", 2), ("9#disc2", "T: CD 2", 1),
    ]  # fmt: skip


def test_partial_dates_and_vinyl_or_digital_positions() -> None:
    (nowhere,) = release_sets(release(12645458))  # "1.1" to "1.35": one disc, one set
    assert nowhere.date == "2016" and len(nowhere.tracks) == 35
    assert nowhere.tracks[0].raw == "1.1 Chris Clark - Back To Belgrade"
    remix = nowhere.tracks[11]
    assert (remix.title, remix.version) == ("Falling Free (Aphex Twin Remix)", None)
    (micalizzi,) = release_sets(release(37))
    assert micalizzi.date == "1999-10"


def test_index_tracks_give_their_sub_tracks() -> None:
    element = release(4497810)
    assert release_sets(element) == []  # not a DJ mix
    subs = element.findall("tracklist/track/sub_tracks/track")
    tracks = _tracks(element.findall("tracklist/track"), element.findall("artists/artist"))
    assert len(subs) == len(tracks) > 0  # each index track gives way to its sub-tracks
    assert [t.raw.split(" ", 1)[0] for t in tracks][:4] == ["A1", "A2", "A3", "A4"]
    assert [t.title for t in tracks] == [s.findtext("title") for s in subs]


def test_remixers_become_a_version_when_the_title_has_none() -> None:
    text = (
        "<release id='1'><extraartists><artist><name>DJ X (3)</name><role>DJ Mix</role>"
        "</artist></extraartists><title>T</title><tracklist><track><position>A1</position>"
        "<title>Song</title><artists><artist><name>A</name><join>Feat.</join></artist>"
        "<artist><name>B</name></artist></artists><extraartists><artist><name>R (2)</name>"
        "<role>Remix</role></artist></extraartists></track></tracklist></release>"
    )  # hand-written: a remix credit with no version in the title
    (djset,) = release_sets(fromstring(text))
    assert djset.djs == ["DJ X"]
    (track,) = djset.tracks
    assert (track.artist, track.featured, track.title, track.version) == (
        "A",
        ["B"],
        "Song",
        "R Remix",
    )


def test_plain_and_gzip_dumps_read_the_same(tmp_path: Path) -> None:
    plain = tmp_path / "discogs_20200806_releases.xml"
    plain.write_text(xml_text(), encoding="utf-8")
    assert [s.url for s in DumpReader(plain)] == [s.url for s in DumpReader(DUMP)]
    anonymous = tmp_path / "releases-export.xml.gz"
    anonymous.write_bytes(DUMP.read_bytes())
    assert is_dump(DUMP) and is_dump(plain) and is_dump(anonymous)
    assert not is_dump(FIXTURES / "exports" / "rekordbox_collection.xml")


def test_a_truncated_dump_keeps_what_it_read_and_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "discogs_20200806_releases.xml.gz"
    broken.write_bytes(DUMP.read_bytes()[:-4000])
    sets = []
    with pytest.raises(UnreadableFile, match="broken"):
        for djset in DumpReader(broken):
            sets.append(djset)
    assert 0 < len(sets) < len(MIXES)


def test_a_truncated_dump_alone_is_a_partial_import_with_its_sets_stored(tmp_path: Path) -> None:
    """It said "failed, nothing was fetched or read" (exit 1) with its sets stored: the
    file counted as unreadable, and so as not read at all."""
    broken = tmp_path / "discogs_20200806_releases.xml.gz"
    broken.write_bytes(DUMP.read_bytes()[:-4000])
    result = run_scrapy("crawl", "exports", "-a", f"path={broken}",
                        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/d.db")  # fmt: skip
    assert result.returncode == 3, result.stderr[-3000:]
    assert "'import/cut': 1" in result.stderr and "'store/created'" in result.stderr


def test_entities_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "discogs_20200806_releases.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><releases>'
        "<release id='1'><title>&a;</title></release></releases>"
    )  # hand-written: an entity declaration
    with pytest.raises(UnreadableFile, match="XML refused"):
        list(DumpReader(bomb))


def test_scrapy_crawl_exports_imports_a_dump(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    dump = inputs / "discogs_20200806_releases.xml.gz"
    dump.write_bytes(DUMP.read_bytes())
    other = inputs / "set.cue"
    other.write_bytes((FIXTURES / "exports" / "mat_zo_abgt500.cue").read_bytes())
    result = run_scrapy(
        "crawl", "exports", "-a", f"path={inputs}", "-s", f"DATABASE_URL=sqlite:///{tmp_path}/d.db",
        "-O", str(tmp_path / "out.json"),
    ).check()  # fmt: skip
    sets = json.loads((tmp_path / "out.json").read_text())
    discogs = [s for s in sets if s["source"] == "discogs"]
    assert len(discogs) == len(MIXES) + 2 and len(sets) == len(MIXES) + 3  # Hed Kandi: 3 discs
    assert "25 releases read, 12 DJ mixes (14 sets: one a disc)" in result.stderr
    assert "'import/discogs_releases': 25" in result.stderr
    second = run_scrapy(
        "crawl", "exports", "-a", f"path={dump}", "-s", f"DATABASE_URL=sqlite:///{tmp_path}/d.db",
    ).check()  # fmt: skip
    assert "'store/unchanged': 14" in second.stderr  # importing again changes nothing


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('<!-- a dump --><!DOCTYPE releases SYSTEM "http://x/evil.dtd"><releases/>', "refused"),
        ("<?xml version='1.0'?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM 'file:///etc/passwd'>]><r/>",
         "refused"),
        ("<releases><release id='1'><title>&undeclared;</title></release></releases>", "broken"),
        ("no markup at all", "no root element"),
    ],
)  # fmt: skip
def test_declarations_and_undeclared_entities_are_refused(
    tmp_path: Path, text: str, reason: str
) -> None:
    dump = tmp_path / "discogs_20200806_releases.xml"
    dump.write_text(text)  # hand-written: hostile or broken prologs
    with pytest.raises(UnreadableFile, match=reason):
        list(DumpReader(dump))

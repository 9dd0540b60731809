"""Each export reader on real-shaped fixtures, with the expected sets beside them."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from crawler.exports import HEAD_BYTES, detect, read_path
from tests._items import with_defaults
from tests.conftest import FIXTURES

EXPORTS = FIXTURES / "exports"
CASES = sorted(
    p for p in EXPORTS.iterdir() if p.is_file() and not p.name.endswith(".expected.json")
)


def expected_for(path: Path) -> list[dict]:
    text = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json").read_text()
    return json.loads(text.replace("{fixtures}", FIXTURES.resolve().as_uri()))


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fixture(path: Path) -> None:
    sets = read_path(path)
    assert [dataclasses.asdict(s) for s in sets] == with_defaults(expected_for(path))


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("traktor_history.nml", "traktor_nml"),
        ("rekordbox_collection.xml", "rekordbox_xml"),
        ("rekordbox_playlist.txt", "rekordbox_txt"),
        ("serato_history_old.csv", "serato_csv"),
        ("virtualdj_2019-07-06.m3u", "virtualdj_m3u"),
        ("rekordbox_export.m3u8", "m3u"),
        ("mat_zo_abgt500.cue", "cue_sheet"),
    ],
)
def test_recognized_by_content_not_extension(name: str, reader: str, tmp_path: Path) -> None:
    renamed = tmp_path / "download.dat"
    shutil.copy(EXPORTS / name, renamed)
    assert detect(renamed, renamed.read_bytes()[:HEAD_BYTES]).name == reader
    sets = read_path(renamed)
    assert [len(s.tracks) for s in sets] == [len(s["tracks"]) for s in expected_for(EXPORTS / name)]


def test_traktor_history_cues_are_play_start_times() -> None:
    (history,) = read_path(EXPORTS / "traktor_history.nml")
    assert [t.cue_s for t in history.tracks] == [0, 223, 551]
    assert history.date == "2019-10-18"
    # the first entry is missing from the collection: its file name is kept as raw
    assert history.tracks[0].raw == "09 Change (Like Mix Extended Instrumental)"


def test_rekordbox_xml_each_playlist_is_a_set_with_its_own_url() -> None:
    sets = read_path(EXPORTS / "rekordbox_collection.xml")
    assert [s.title for s in sets] == ["Warm-up 2022-04-09", "By location"]
    assert len({s.url for s in sets}) == 2
    assert sets[0].tracks[0].version is None  # "Original Mix" is no version


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("#EXTM3U\n#EXTINF:300,Röyksopp - Été\nete.mp3\n", "utf-8"),
        ("#EXTM3U\n#EXTINF:300,Röyksopp - Été\nete.mp3\n", "utf-8-sig"),
        ("#EXTM3U\n#EXTINF:300,Röyksopp - Été\nete.mp3\n", "utf-16"),
        ("#EXTM3U\n#EXTINF:300,Röyksopp - Été\nete.mp3\n", "cp1252"),
        ("#EXTM3U\n#EXTINF:300,Røyksopp - Été\nete.mp3\n", "latin-1"),
    ],
)
def test_text_encodings(text: str, encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "list.m3u"
    path.write_bytes(text.encode(encoding))
    (djset,) = read_path(path)
    assert djset.tracks[0].raw == text.split(",", 1)[1].split("\n")[0]


def test_cue_frames_round_down_to_whole_seconds() -> None:
    (sheet,) = read_path(EXPORTS / "club_life_cp1252.cue")
    # INDEX 01 03:27:74 is 207.99 s; INDEX 00 (pre-gap) is ignored for INDEX 01
    assert [t.cue_s for t in sheet.tracks] == [0, 207, 421]
    assert sheet.djs == ["DJ Tiësto"]


def test_serato_cues_cross_midnight(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text(
        '"name","start time","end time","playtime","deck","notes"\n'
        '"Late","01.01.2024 23:58:00","02.01.2024 00:10:00","00:12:00","",""\n'
        '"A - One","23:58:00","00:02:00","00:04:00","1",""\n'
        '"B - Two","00:01:30","00:10:00","00:08:30","2",""\n'
    )
    (djset,) = read_path(path)
    assert [t.cue_s for t in djset.tracks] == [0, 210]
    assert djset.date == "2024-01-01"


@pytest.mark.parametrize(
    ("header", "index", "cue"),
    [
        ("", "INDEX 01 61:30:74", 61 * 60 + 30),  # Red Book mm:ss:ff
        ("", "INDEX 01 100:02:00", 100 * 60 + 2),  # Mixxx: minutes past 99
        ('REM RECORDED_BY "rekordbox-dj"\n', "INDEX 01 01:02:03", 3723),  # rekordbox hh:mm:ss
        ('REM RECORDED_BY "rekordbox-dj"\n', "INDEX 01 00:10:70", 10),  # 70 is frames: mm:ss:ff
    ],
)
def test_cue_index_forms(header: str, index: str, cue: int, tmp_path: Path) -> None:
    """Hand-written edge cases: the forms of INDEX 01 that real writers use."""
    path = tmp_path / "set.cue"
    path.write_text(
        f'{header}PERFORMER "DJ"\nTITLE "Set"\nFILE "set.wav" WAVE\n'
        f'  TRACK 01 AUDIO\n    PERFORMER "A"\n    TITLE "One"\n    INDEX 01 00:00:00\n'
        f'  TRACK 02 AUDIO\n    PERFORMER "B"\n    TITLE "Two"\n    {index}\n'
    )
    (djset,) = read_path(path)
    assert [t.cue_s for t in djset.tracks] == [0, cue]

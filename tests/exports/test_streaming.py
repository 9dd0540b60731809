"""Line formats are streamed: a file of any size imports, in memory bounded by one set.

The files are generated (a Serato history of 1,000,000 rows, as Serato writes one long
session; an M3U of 1,000,000 entries): sizes no saved export reaches, which is the point.
Peak memory is measured in a child process (``ru_maxrss``), against the same reading of
a small file.
"""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.exports import UnreadableFile, read_path
from crawler.exports._text import CHUNK_BYTES, decode
from crawler.items import tracks_seen
from tests.conftest import ROOT, run_scrapy
from tests.incremental.conftest import stat

MILLION = 1_000_000
HEADER = '"name","artist","start time","end time","playtime","deck"\n'
SESSION = '"Long night","","1/2/2024 10:00:00 PM","1/3/2024 6:00:00 AM","08:00:00",""\n'


def serato_history(path: Path, rows: int, odd_row: str | None = None) -> Path:
    """A Serato CSV history of one session and ``rows`` tracks; ``odd_row`` (a track
    name) goes in near the end, in cp1252, when given."""
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(HEADER + SESSION)
        for i in range(rows):
            name = odd_row if odd_row and i == rows - 10 else f"Song {i}"
            out.write(f'"{name}","Artist {i % 501}","10:00:00 PM","10:01:00 PM","00:01:00","1"\n')
    return path


def m3u(path: Path, entries: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("#EXTM3U\n")
        for i in range(entries):
            out.write(f"#EXTINF:300,Artist {i % 501} - Song {i}\n/music/{i}.mp3\n")
    return path


def peak_rss_mib(path: Path) -> float:
    """Peak RSS of a child process that imports ``path`` with the shipped cap."""
    code = (
        "import resource, sys; from crawler.exports import read_path; "
        "(s,) = read_path(sys.argv[1], max_tracks=5000); assert len(s.tracks) <= 5000; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    return int(done.stdout.split()[-1]) / 1024


def test_a_million_row_serato_history_is_cut_at_the_cap_and_counted(tmp_path: Path) -> None:
    path = serato_history(tmp_path / "history.csv", MILLION)
    (djset,) = read_path(path, max_tracks=5000)
    assert len(djset.tracks) == 5000 and tracks_seen(djset) == MILLION
    assert djset.title == "Long night" and djset.tracks[-1].title == "Song 4999"


@pytest.mark.parametrize("write", [serato_history, m3u], ids=["serato_csv", "m3u"])
def test_memory_stays_flat_whatever_the_file_size(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small = write(tmp_path / f"small{write.__name__}", 100)
    huge = write(tmp_path / f"huge{write.__name__}", MILLION)
    assert huge.stat().st_size > 40_000_000
    baseline, peak = peak_rss_mib(small), peak_rss_mib(huge)
    # Read whole, the huge file's text alone would be 40+ MB, its tracks hundreds more.
    assert peak - baseline < 30, (baseline, peak)


def test_an_encoding_found_late_reads_as_the_whole_file_would(tmp_path: Path) -> None:
    # The one cp1252 byte comes after several chunks of plain ASCII: read again as cp1252.
    path = serato_history(tmp_path / "history.csv", 100_000, odd_row="Café del Mar")
    assert path.stat().st_size > 3 * CHUNK_BYTES
    (djset,) = read_path(path)
    assert djset.tracks[100_000 - 10].title == "Café del Mar"
    assert decode(path.read_bytes()).count("Café") == 1


def test_utf16_lines_split_across_chunks(tmp_path: Path) -> None:
    rows = ["Track Title\tArtist"] + [f"Song {i}\tArtist {i}" for i in range(60_000)]
    path = tmp_path / "playlist.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "\r\n".join(rows).encode("utf-16-le"))
    assert path.stat().st_size > CHUNK_BYTES
    (djset,) = read_path(path)
    assert [(t.artist, t.title) for t in djset.tracks[::20_000]] == [
        ("Artist 0", "Song 0"), ("Artist 20000", "Song 20000"), ("Artist 40000", "Song 40000"),
    ]  # fmt: skip
    assert len(djset.tracks) == 60_000


def test_a_line_without_end_is_refused_not_read_into_memory(tmp_path: Path) -> None:
    path = tmp_path / "list.m3u"
    with path.open("wb") as out:
        out.write(b"#EXTM3U\n#EXTINF:1,A - B\n" + b"x" * (3 * CHUNK_BYTES))
    with pytest.raises(UnreadableFile, match="a line longer than"):
        read_path(path)


def test_a_long_line_that_ends_within_a_chunk_is_refused_too(tmp_path: Path) -> None:
    """Only the unfinished line was measured: a 1.1-million-character #EXTINF line that
    ended inside one chunk became a track's title."""
    path = tmp_path / "list.m3u"
    path.write_bytes(b"#EXTM3U\n#EXTINF:1,A - " + b"x" * 1_100_000 + b"\nfile.mp3\n")
    with pytest.raises(UnreadableFile, match="a line longer than"):
        read_path(path)


def test_a_csv_field_over_the_csv_modules_limit_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    path = serato_history(tmp_path / "history.csv", 20, odd_row="y" * 200_000)
    with pytest.raises(UnreadableFile, match="broken CSV: field larger than field limit"):
        read_path(path)


def test_a_million_row_history_imports_with_the_cut_reported(tmp_path: Path) -> None:
    path = serato_history(tmp_path / "history.csv", MILLION)
    result = run_scrapy("crawl", "exports", "-a", f"path={path}",
                        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite",
                        "-O", str(tmp_path / "out.json"), timeout=120).check()  # fmt: skip
    assert "has 1000000 tracks, more than MAX_TRACKS_PER_SET (5000)" in result.stderr
    assert stat(result.stderr, "normalize/tracks_left_out") == MILLION - 5000
    assert stat(result.stderr, "store/created") == 1
    (djset,) = json.loads((tmp_path / "out.json").read_text())
    assert len(djset["tracks"]) == 5000

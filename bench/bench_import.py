"""Import speed: ``scrapy crawl exports`` into SQLite against a bare parsel + sqlite3 loop.

Writes N saved pages (half JSON-LD, half microdata, 20 tracks each), imports them with
``scrapy crawl exports`` (normalization and the SQLAlchemy store included), and in the
same run times a bare loop over the same files (parsel extraction, ``sqlite3``
``executemany``, no normalization). The bar (issue "Import what users already have"):
the import's throughput is at least 0.6x the bare loop's at N = 10,000, and its peak
memory does not grow with N.

    .venv/bin/python bench/bench_import.py                 # N = 2,000 and 10,000
    .venv/bin/python bench/bench_import.py -n 500 --profile  # where the import's time goes
    .venv/bin/python bench/bench_import.py --dj            # DJ programs' own history files

``--dj``: a Serato session of 10,000 rows and a Mixxx database with 1,000 history
sessions, both generated from the real fixtures' structure (fixtures/exports/), read by
the readers (and normalized) in a child process, against a bare loop over the same rows
in another (a plain chunk walk for Serato, one ``sqlite3`` query for Mixxx): rows per
second and peak RSS of each, and of the whole ``scrapy crawl exports`` into SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from parsel import Selector

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
TRACKS_PER_SET = 20
BAR = 0.6

_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | Bench Radio</title>
<link rel="canonical" href="https://bench.example/sets/{i}">
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js"></script>
</head><body>
<nav><a href="/">Home</a> <a href="/sets/">Sets</a> <a href="/djs/">DJs</a>
<a href="/about">About</a></nav>
<main><h1>{title}</h1><p>Recorded live. {blurb}</p>
"""
_FOOT = "</main><footer><p>&copy; Bench Radio. All rights reserved.</p></footer></body></html>\n"


def _tracks(rng: random.Random, pool: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return rng.sample(pool, TRACKS_PER_SET)


def jsonld_page(i: int, title: str, dj: str, tracks: list[tuple[str, str, str]]) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "MusicPlaylist",
        "name": title,
        "creator": {"@type": "Person", "name": dj},
        "datePublished": f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
        "numTracks": len(tracks),
        "track": [
            {
                "@type": "MusicRecording",
                "position": n,
                "name": name,
                "byArtist": {"@type": "MusicGroup", "name": artist},
                "recordLabel": label,
            }
            for n, (artist, name, label) in enumerate(tracks, 1)
        ],
    }
    script = f'<script type="application/ld+json">{json.dumps(data)}</script>\n'
    items = "".join(f"<li>{a} - {t}</li>" for a, t, _ in tracks)
    return _HEAD.format(i=i, title=title, blurb="JSON-LD") + script + f"<ol>{items}</ol>" + _FOOT


def microdata_page(i: int, title: str, dj: str, tracks: list[tuple[str, str, str]]) -> str:
    rows = "".join(
        f'<li itemprop="track" itemscope itemtype="https://schema.org/MusicRecording">'
        f'<meta itemprop="position" content="{n}">'
        f'<span itemprop="byArtist" itemscope itemtype="https://schema.org/MusicGroup">'
        f'<span itemprop="name">{artist}</span></span> - '
        f'<span itemprop="name">{name}</span> [<span itemprop="recordLabel">{label}</span>]</li>'
        for n, (artist, name, label) in enumerate(tracks, 1)
    )
    body = (
        f'<div itemscope itemtype="https://schema.org/MusicPlaylist">'
        f'<meta itemprop="name" content="{title}">'
        f'<span itemprop="creator" itemscope itemtype="https://schema.org/Person">'
        f'<span itemprop="name">{dj}</span></span>'
        f'<meta itemprop="datePublished" content="2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}">'
        f"<ol>{rows}</ol></div>"
    )
    return _HEAD.format(i=i, title=title, blurb="Microdata") + body + _FOOT


def write_pages(folder: Path, n: int) -> None:
    rng = random.Random(n)
    artists = [f"Artist {k}" for k in range(800)]
    pool = [(rng.choice(artists), f"Track {k}", f"Label {k % 150}") for k in range(6000)]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        dj = f"DJ {i % 400}"
        title = f"{dj} - Session {i}"
        tracks = _tracks(rng, pool)
        page = (jsonld_page if i % 2 == 0 else microdata_page)(i, title, dj, tracks)
        (folder / f"page{i:06d}.html").write_text(page, encoding="utf-8")


# --- the bare loop ------------------------------------------------------------------------


def _bare_extract(html: str) -> tuple[str | None, str | None, list[tuple[int, str, str]]]:
    sel = Selector(text=html)
    script = sel.xpath("//script[@type='application/ld+json']/text()").get()
    if script:
        data = json.loads(script)
        tracks = [
            (t.get("position", n), t["byArtist"]["name"], t["name"])
            for n, t in enumerate(data.get("track", []), 1)
        ]
        return data.get("name"), data["creator"]["name"], tracks
    playlist = sel.xpath("//*[@itemtype='https://schema.org/MusicPlaylist']")
    tracks = [
        (
            int(row.xpath("./meta[@itemprop='position']/@content").get("0")),
            row.xpath("./*[@itemprop='byArtist']/*[@itemprop='name']/text()").get(""),
            row.xpath("./*[@itemprop='name']/text()").get(""),
        )
        for row in playlist.xpath(".//*[@itemprop='track']")
    ]
    return (
        playlist.xpath("./meta[@itemprop='name']/@content").get(),
        playlist.xpath("./*[@itemprop='creator']/*[@itemprop='name']/text()").get(),
        tracks,
    )


def bare_loop(folder: Path, database: Path) -> float:
    """Seconds for parsel extraction + sqlite3 executemany over every page."""
    started = time.perf_counter()
    db = sqlite3.connect(database)
    db.execute("create table sets (id integer primary key, url text unique, title text, dj text)")
    db.execute("create table entries (set_id int, position int, artist text, title text)")
    set_rows: list[tuple[int, str, str | None, str | None]] = []
    entry_rows: list[tuple[int, int, str, str]] = []
    for set_id, path in enumerate(sorted(folder.iterdir()), 1):
        title, dj, tracks = _bare_extract(path.read_text(encoding="utf-8"))
        set_rows.append((set_id, path.as_uri(), title, dj))
        entry_rows += [(set_id, pos, artist, name) for pos, artist, name in tracks]
        if len(set_rows) >= 500:
            db.executemany("insert into sets values (?, ?, ?, ?)", set_rows)
            db.executemany("insert into entries values (?, ?, ?, ?)", entry_rows)
            set_rows, entry_rows = [], []
    db.executemany("insert into sets values (?, ?, ?, ?)", set_rows)
    db.executemany("insert into entries values (?, ?, ?, ?)", entry_rows)
    db.commit()
    db.close()
    return time.perf_counter() - started


# --- where the time goes, stage by stage, in one process ---------------------------------


def breakdown(folder: Path, database: Path, limit: int = 2000) -> dict[str, float]:
    """Milliseconds per page for each stage of an import, run in this process, no Scrapy.

    recognize: stat, read, format detection, decoding, the page's own URL (crawler.exports);
    page class: crawler.sites.extract_sets; normalize: crawler.normalize.normalize_set;
    store: crawler.store.store_set in transactions of 200 sets, as the import runs it.
    """
    from datetime import UTC, datetime

    from crawler.exports import HEAD_BYTES, detect
    from crawler.normalize import normalize_set
    from crawler.sites import extract_sets
    from crawler.sites.saved import canonical_url, decode_html
    from crawler.store import session_factory
    from crawler.store.sets import KeyCache, store_sets

    files = sorted(folder.iterdir())[:limit]
    clock = time.perf_counter
    spent = dict.fromkeys(("recognize", "page class", "normalize", "store"), 0.0)
    pages: list[tuple[str, str]] = []
    for path in files:
        t = clock()
        path.stat()
        data = path.read_bytes()
        detect(path, data[:HEAD_BYTES])
        html = decode_html(data)
        pages.append((canonical_url(html) or path.as_uri(), html))
        spent["recognize"] += clock() - t
    sets = []
    t = clock()
    for url, html in pages:
        sets += extract_sets(url, html)
    spent["page class"] = clock() - t
    t = clock()
    sets = [normalize_set(s) for s in sets]
    spent["normalize"] = clock() - t
    factory = session_factory(f"sqlite:///{database}")
    now = datetime.now(UTC).replace(tzinfo=None)
    cache = KeyCache()
    t = clock()
    for start in range(0, len(sets), 200):
        with factory.begin() as session:
            store_sets(session, sets[start : start + 200], now, cache)
    spent["store"] = clock() - t
    return {stage: seconds * 1000 / len(files) for stage, seconds in spent.items()}


# --- the import -----------------------------------------------------------------------


def scrapy_import(
    folder: Path, database: Path, profile: Path | None = None, settings: list[str] | None = None
) -> tuple[float, int, str]:
    """(seconds, peak RSS in KiB, stderr tail) of ``scrapy crawl exports`` in a child process."""
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "scrapy", "crawl", "exports", "-a", f"path={folder}",
                "-s", f"DATABASE_URL=sqlite:///{database}", "-s", "LOG_LEVEL=INFO"]  # fmt: skip
    command += [arg for setting in settings or () for arg in ("-s", setting)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = database.with_suffix(".log")
    started = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        # wait4 gives this child's own resource usage: its true peak RSS (ru_maxrss, KiB)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = log.read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"scrapy crawl exports failed:\n{stderr[-3000:]}")
    return elapsed, usage.ru_maxrss, stderr


def run(
    n: int, profile: bool, stages: bool, rounds: int = 3, settings: list[str] | None = None
) -> dict[str, Any]:
    """The best of ``rounds`` alternating runs of each (the least disturbed ones: the
    machine is shared, and either side alone varies by a third from run to run)."""
    folder = OUT / f"pages-{n}"
    if not folder.exists() or len(list(folder.iterdir())) != n:
        shutil.rmtree(folder, ignore_errors=True)
        write_pages(folder, n)
    prof = OUT / f"import-{n}.prof" if profile else None
    bare = imported = float("inf")
    peak_kib = 0
    for _ in range(rounds):
        for name in ("bare", "import"):
            (OUT / f"{name}-{n}.db").unlink(missing_ok=True)
        bare = min(bare, bare_loop(folder, OUT / f"bare-{n}.db"))
        seconds, peak, stderr = scrapy_import(folder, OUT / f"import-{n}.db", prof, settings)
        imported, peak_kib = min(imported, seconds), max(peak_kib, peak)
    sets = next((int(line.split(":")[1].strip(" ,")) for line in stderr.splitlines()
                 if "'import/sets':" in line), 0)  # fmt: skip
    if sets != n:
        raise SystemExit(f"expected {n} sets, the import found {sets}:\n{stderr[-3000:]}")
    result = {
        "n": n,
        "bare_pages_per_s": n / bare,
        "import_pages_per_s": n / imported,
        "ratio": bare / imported,
        "import_seconds": imported,
        "bare_seconds": bare,
        "import_peak_mib": peak_kib / 1024,
    }
    if stages:
        (OUT / f"stages-{n}.db").unlink(missing_ok=True)
        result["stages_ms_per_page"] = breakdown(folder, OUT / f"stages-{n}.db")
        result["bare_ms_per_page"] = bare * 1000 / n
        result["import_ms_per_page"] = imported * 1000 / n
    if prof is not None:
        import pstats

        print(f"--- where the import's time goes (N={n}, cumulative) ---")
        pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(35)
    return result


# --- DJ programs' history files (--dj) ---------------------------------------------------

SERATO_FIXTURE = ROOT / "fixtures/exports/serato_session/dj-2.4-mac-12.session"
MIXXX_FIXTURE = ROOT / "fixtures/exports/mixxx/mixxxdb.sqlite"


def write_serato_session(target: Path, rows: int) -> None:
    """A session of ``rows`` rows: the real session's rows in turn, each with its own row
    number, title and start time (fields 1, 6 and 28), every tenth not played."""
    import struct

    from crawler.exports.serato_session import chunks, row_fields

    with SERATO_FIXTURE.open("rb") as handle:
        parts = list(chunks(handle))
    version = next(body for tag, body in parts if tag == b"vrsn")
    templates = [row_fields(body) for tag, body in parts if tag == b"oent"]
    start = 1_612_646_711
    with target.open("wb") as out:
        out.write(b"vrsn" + struct.pack(">I", len(version)) + version)
        for i in range(rows):
            fields = dict(templates[i % len(templates)])
            fields[1] = struct.pack(">I", i + 1)
            title = f"{i} " + (fields.get(6) or b"").decode("utf-16-be").rstrip("\x00")
            fields[6] = (title + "\x00").encode("utf-16-be")
            fields[28] = struct.pack(">I", start + 180 * i)
            fields[50] = struct.pack(">B", 0 if i % 10 == 9 else 1)
            adat = b"".join(struct.pack(">II", k, len(v)) + v for k, v in sorted(fields.items()))
            oent = b"adat" + struct.pack(">I", len(adat)) + adat
            out.write(b"oent" + struct.pack(">I", len(oent)) + oent)


def write_mixxx_database(target: Path, sessions: int, per_session: int = 20) -> None:
    """The real Mixxx library with ``sessions`` more history sessions of tracks from it."""
    shutil.copyfile(MIXXX_FIXTURE, target)
    db = sqlite3.connect(target)
    tracks = [row[0] for row in db.execute("SELECT id FROM library ORDER BY id")]
    first = db.execute("SELECT max(id) FROM Playlists").fetchone()[0] + 1
    playlists, entries = [], []
    for n in range(sessions):
        pid = first + n
        day = f"2024-{n // 28 % 12 + 1:02d}-{n % 28 + 1:02d}"
        playlists.append((pid, f"{day} ({n})", pid, 2, f"{day}20:00:00", f"{day} 20:00:00"))
        for k in range(per_session):
            track = tracks[(n * per_session + k) % len(tracks)]
            at = f"{day} {20 + k * 4 // 60:02d}:{k * 4 % 60:02d}:00"
            entries.append((pid, track, k + 1, at))
    db.executemany("INSERT INTO Playlists (id, name, position, hidden, date_created,"
                   " date_modified) VALUES (?, ?, ?, ?, ?, ?)", playlists)  # fmt: skip
    db.executemany("INSERT INTO PlaylistTracks (playlist_id, track_id, position,"
                   " pl_datetime_added) VALUES (?, ?, ?, ?)", entries)  # fmt: skip
    db.commit()
    db.close()


# Each child prints the rows it read and the seconds its reading took (start-up and
# imports left out: they are the same whatever the file).
_READ = """
import sys, time
from crawler.exports import read_path
from crawler.normalize import normalize_set
t = time.perf_counter()
sets = [normalize_set(s) for s in read_path(sys.argv[1])]
print(sum(len(s.tracks) for s in sets), time.perf_counter() - t)
"""
_BARE_SERATO = """
import struct, sys, time
t = time.perf_counter()
rows = 0
with open(sys.argv[1], "rb") as f:
    while header := f.read(8):
        tag, length = struct.unpack(">4sI", header)
        f.read(length)
        rows += tag == b"oent"
print(rows, time.perf_counter() - t)
"""
_BARE_MIXXX = """
import sqlite3, sys, time
t = time.perf_counter()
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute("SELECT l.artist, l.title, l.key, t.pl_datetime_added FROM Playlists p"
                  " JOIN PlaylistTracks t ON t.playlist_id = p.id JOIN library l"
                  " ON l.id = t.track_id WHERE p.hidden = 2 ORDER BY p.id, t.position").fetchall()
print(len(rows), time.perf_counter() - t)
"""


def _measured(code: str, *args: str) -> tuple[float, int, str]:
    """Like :func:`_child`, with the child's own peak RSS (os.wait4), not the maximum
    over every child so far."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = OUT / "child.out"
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    text = log.read_text().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(text[-3000:])
    return elapsed, usage.ru_maxrss, text.splitlines()[-1]


def run_dj(rounds: int = 3) -> list[dict[str, Any]]:
    OUT.mkdir(parents=True, exist_ok=True)
    serato = OUT / "bench-10000.session"
    write_serato_session(serato, 10_000)
    mixxx = OUT / "mixxxdb.sqlite"
    mixxx.unlink(missing_ok=True)
    write_mixxx_database(mixxx, 1_000)
    results = []
    for name, path, bare_code in (("serato session, 10,000 rows", serato, _BARE_SERATO),
                                  ("mixxx, 1,000 sessions", mixxx, _BARE_MIXXX)):  # fmt: skip
        best: dict[str, tuple[float, int, str]] = {}  # seconds, peak KiB, rows
        for _ in range(rounds):
            for side, code in (("bare", bare_code), ("reader", _READ)):
                _, peak, printed = _measured(code, str(path))
                rows, spent = printed.split()
                seconds = float(spent)
                if side not in best or seconds < best[side][0]:
                    best[side] = (seconds, max(peak, best.get(side, (0, 0, ""))[1]), rows)
        database = OUT / f"dj-import-{path.stem}.db"
        database.unlink(missing_ok=True)
        imported, import_peak, _ = scrapy_import(path, database)
        read_rows = int(best["reader"][2])
        results.append({
            "input": name,
            "rows_read": read_rows,
            "bare_rows": int(best["bare"][2]),
            "bare_rows_per_s": int(best["bare"][2]) / best["bare"][0],
            "reader_rows_per_s": read_rows / best["reader"][0],
            "ratio": best["bare"][0] / best["reader"][0],
            "bare_peak_mib": best["bare"][1] / 1024,
            "reader_peak_mib": best["reader"][1] / 1024,
            "import_rows_per_s": read_rows / imported,
            "import_peak_mib": import_peak / 1024,
        })  # fmt: skip
    print(f"{'input':<28} {'rows':>6} {'bare rows/s':>12} {'reader rows/s':>14} {'ratio':>6}"
          f" {'bare MiB':>9} {'reader MiB':>11} {'import rows/s':>14}"
          f" {'import MiB':>11}")  # fmt: skip
    for r in results:
        print(f"{r['input']:<28} {r['rows_read']:>6} {r['bare_rows_per_s']:>12.0f}"
              f" {r['reader_rows_per_s']:>14.0f} {r['ratio']:>6.2f} {r['bare_peak_mib']:>9.0f}"
              f" {r['reader_peak_mib']:>11.0f} {r['import_rows_per_s']:>14.0f}"
              f" {r['import_peak_mib']:>11.0f}")  # fmt: skip
    (OUT / "bench_import_dj.json").write_text(json.dumps(results, indent=2))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--dj", action="store_true", help="the DJ programs' history files")
    parser.add_argument("--profile", action="store_true", help="run the import under cProfile")
    parser.add_argument(
        "--stages", action="store_true", help="also time each stage of an import, per page"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], help="NAME=VALUE for the import"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.dj:
        run_dj(args.rounds)
        return 0
    results = [run(n, args.profile, args.stages, args.rounds, args.settings) for n in args.n]
    print(f"{'N':>7} {'bare pages/s':>13} {'import pages/s':>15} {'ratio':>6} {'peak MiB':>9}")
    for r in results:
        print(f"{r['n']:>7} {r['bare_pages_per_s']:>13.0f} {r['import_pages_per_s']:>15.0f}"
              f" {r['ratio']:>6.2f} {r['import_peak_mib']:>9.0f}")  # fmt: skip
    for r in results:
        if "stages_ms_per_page" in r:
            stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages_ms_per_page"].items())
            print(f"N={r['n']} ms/page: import {r['import_ms_per_page']:.2f} (stages: {stages});"
                  f" bare loop {r['bare_ms_per_page']:.2f}")  # fmt: skip
    (OUT / "bench_import.json").write_text(json.dumps(results, indent=2))
    biggest = max(results, key=lambda r: r["n"])
    if biggest["n"] < 10000:
        print(f"bar: ratio >= {BAR} at N=10,000: not measured (largest N was {biggest['n']})")
        return 0
    ok = biggest["ratio"] >= BAR
    print(f"bar: ratio >= {BAR} at N=10,000: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

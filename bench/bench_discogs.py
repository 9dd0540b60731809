"""Discogs dump reading: releases per second and peak memory, against a bare iterparse loop.

Generates gzipped dumps of N releases in the schema of the real monthly dumps (the
elements and attributes of ``fixtures/discogs/``: images, artists with anv/join/role,
labels, extraartists, formats with descriptions, genres, styles, notes, master_id,
tracklists with positions, durations, track artists and remix credits, identifiers,
videos, companies), 5 % of them DJ mixes ("DJ Mix" credit, "Mixed" format). Then, each in
a fresh process so that its peak RSS is its own:

- ``reader``: ``DumpReader`` over the dump, every DJ mix read into a ``DJSet``;
- ``bare``: ``xml.etree.ElementTree.iterparse`` over the same gzip stream, counting the
  elements and clearing each release (the least any streaming reader does);
- ``import``: ``scrapy crawl exports -a path=DUMP`` into SQLite, the
  whole path with normalization and the store.

The bar (issue "Sources that say yes"): peak RSS flat from 10,000 to 100,000 releases.

    flock /tmp/heavy.lock .venv/bin/python bench/bench_discogs.py          # N = 10,000, 100,000
    .venv/bin/python bench/bench_discogs.py -n 2000 --no-import            # a quick look
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
MIX_EVERY = 20  # 5 %

_FORMATS = [("CD", "Album"), ("Vinyl", '12"'), ("File", "MP3"), ("CD", "Compilation")]
_ROLES = ["Producer", "Written-By", "Mastered By", "Design", "Photography By", "Engineer"]


def _artist(rng: random.Random, names: list[str], role: str = "", join: str = "") -> str:
    artist_id = rng.randrange(1, 9_000_000)
    name = escape(rng.choice(names))
    anv = f"<anv>{name[:8]}</anv>" if rng.random() < 0.1 else "<anv/>"
    join_xml = f"<join>{escape(join)}</join>" if join else "<join/>"
    role_xml = f"<role>{escape(role)}</role>" if role else "<role/>"
    return (
        f"<artist><id>{artist_id}</id><name>{name}</name>{anv}{join_xml}{role_xml}"
        "<tracks/></artist>"
    )


def release_xml(n: int, rng: random.Random, names: list[str], titles: list[str]) -> str:
    mix = n % MIX_EVERY == 0
    tracks_n = rng.randint(10, 18) if mix else rng.randint(2, 12)
    fmt, desc = rng.choice(_FORMATS)
    descriptions = f"<description>{desc}</description>"
    extra = "".join(_artist(rng, names, rng.choice(_ROLES)) for _ in range(rng.randint(0, 4)))
    if mix:
        descriptions += "<description>Mixed</description>"
        extra = _artist(rng, names, "DJ Mix") + extra
    images = "".join(
        f'<image type="{"primary" if i == 0 else "secondary"}" uri="" uri150="" '
        f'width="600" height="{rng.randint(400, 600)}"/>'
        for i in range(rng.randint(1, 4))
    )
    tracks = []
    for t in range(1, tracks_n + 1):
        position = f"A{t}" if fmt == "Vinyl" else (f"1-{t:02d}" if mix else str(t))
        title = escape(rng.choice(titles))
        join = rng.choice(["", "", "", "&", "Feat."])
        artists = _artist(rng, names, join=join) + (_artist(rng, names) if join else "")
        remix = ""
        if rng.random() < 0.3:
            remix = f"<extraartists>{_artist(rng, names, 'Remix')}</extraartists>"
        minutes, seconds = rng.randint(2, 9), rng.randint(0, 59)
        tracks.append(
            f"<track><position>{position}</position><title>{title}</title>"
            f"<duration>{minutes}:{seconds:02d}</duration><artists>{artists}</artists>"
            f"{remix}</track>"
        )
    label = quoteattr(f"Label {rng.randrange(50_000)}")
    return (
        f'<release id="{n}" status="Accepted"><images>{images}</images>'
        f"<artists>{_artist(rng, names)}</artists><title>{escape(rng.choice(titles))}</title>"
        f'<labels><label name={label} catno="CAT {n}" id="{rng.randrange(90_000)}"/></labels>'
        f"<extraartists>{extra}</extraartists>"
        f'<formats><format name="{fmt}" qty="1" text=""><descriptions>{descriptions}'
        f"</descriptions></format></formats><genres><genre>Electronic</genre></genres>"
        f"<styles><style>House</style><style>Techno</style></styles><country>UK</country>"
        f"<released>{rng.randint(1970, 2020)}-{rng.randint(1, 12):02d}-00</released>"
        f"<notes>Recorded at Studio {n % 97}. &#169; {rng.randint(1970, 2020)}.</notes>"
        f"<data_quality>Needs Vote</data_quality>"
        f'<master_id is_main_release="true">{rng.randrange(2_000_000)}</master_id>'
        f"<tracklist>{''.join(tracks)}</tracklist>"
        f'<identifiers><identifier type="Barcode" value="{rng.randrange(10**12)}"/></identifiers>'
        f'<videos><video src="https://www.youtube.com/watch?v=x{n}" '
        f'duration="{rng.randint(60, 600)}" embed="true"><title>{escape(rng.choice(titles))}'
        f"</title><description/></video></videos>"
        f"<companies><company><id>{rng.randrange(500_000)}</id><name>Pressing Plant {n % 31}"
        f"</name><catno/><entity_type>17</entity_type><entity_type_name>Pressed By"
        f"</entity_type_name><resource_url>https://api.discogs.com/labels/{n % 31}"
        f"</resource_url></company></companies></release>\n"
    )


def write_dump(path: Path, n: int) -> None:
    rng = random.Random(n)
    names = [f"Artist {k}" for k in range(20_000)] + [f"DJ Name {k} (2)" for k in range(500)]
    titles = [f"Track Title {k}" for k in range(50_000)] + [
        f"Song {k} (Dub Mix)" for k in range(99)
    ]
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write("<releases>\n")
        for i in range(1, n + 1):
            out.write(release_xml(i, rng, names, titles))
        out.write("</releases>\n")


# --- the measured runs, each in a child process -----------------------------------------
_READER = """
import json, resource, sys, time
from crawler.exports.discogs_dump import DumpReader
started = time.perf_counter()
reader = DumpReader(sys.argv[1])
sets = sum(1 for _ in reader)
elapsed = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "releases": reader.releases, "sets": sets, "rss_mb": rss}))
"""

_BARE = """
import gzip, json, resource, sys, time
from xml.etree.ElementTree import iterparse
started = time.perf_counter()
elements = releases = 0
with gzip.open(sys.argv[1], "rb") as stream:
    for _event, elem in iterparse(stream):
        elements += 1
        if elem.tag == "release":
            releases += 1
            elem.clear()
elapsed = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "releases": releases, "elements": elements, "rss_mb": rss}))
"""


def child(code: str, dump: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(dump)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def scrapy_import(dump: Path, database: Path) -> dict[str, float]:
    """``scrapy crawl exports`` of the dump into SQLite; its peak RSS from ``wait4``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "exports", "-a", f"path={dump}",
         "-s", f"DATABASE_URL=sqlite:///{database}", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(stderr.decode()[-3000:])
    return {"seconds": time.perf_counter() - started, "rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="releases (repeatable)")
    parser.add_argument("--no-import", action="store_true", help="skip the scrapy import")
    args = parser.parse_args()
    sizes = args.n or [10_000, 100_000]
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in sizes:
        (OUT / f"n{n}").mkdir(exist_ok=True)
        dump = OUT / f"n{n}" / "discogs_20200806_releases.xml.gz"
        t = time.perf_counter()
        write_dump(dump, n)
        print(f"N = {n:,}: dump written in {time.perf_counter() - t:.1f} s, "
              f"{dump.stat().st_size / 1e6:.1f} MB gzipped", flush=True)  # fmt: skip
        bare = child(_BARE, dump)
        reader = child(_READER, dump)
        row = {"n": n, "bare": bare, "reader": reader}
        if not args.no_import:
            database = OUT / "discogs_bench.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            row["import"] = scrapy_import(dump, database)
        rows.append(row)
        ratio = (n / reader["seconds"]) / (n / bare["seconds"])
        print(
            f"  bare iterparse: {n / bare['seconds']:,.0f} releases/s "
            f"({bare['elements']:,.0f} elements), peak RSS {bare['rss_mb']:.0f} MiB\n"
            f"  DumpReader:     {n / reader['seconds']:,.0f} releases/s, {reader['sets']:,.0f} "
            f"DJ mixes, peak RSS {reader['rss_mb']:.0f} MiB; ratio to bare {ratio:.2f}",
            flush=True,
        )
        if "import" in row:
            imp = row["import"]
            print(
                f"  scrapy crawl exports into SQLite: {n / imp['seconds']:,.0f} releases/s "
                f"({reader['sets'] / imp['seconds']:,.0f} sets/s), "
                f"peak RSS {imp['rss_mb']:.0f} MiB",
                flush=True,
            )
        dump.unlink()
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        growth = large["reader"]["rss_mb"] - small["reader"]["rss_mb"]
        print(
            f"Peak RSS of the reader: {small['reader']['rss_mb']:.0f} MiB at {small['n']:,}, "
            f"{large['reader']['rss_mb']:.0f} MiB at {large['n']:,} ({growth:+.0f} MiB)"
        )
    (OUT / "bench_discogs.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

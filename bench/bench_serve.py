"""``crawler serve`` latency on a large store, against the same queries run bare.

Generates a SQLite store of 100,000 sets and 2,000,000 entries (20 a set; 200,000 tracks
whose plays follow a steep popularity curve, 5,000 DJs, 2 % ``w/`` rows, 3 % unknown
entries) with bulk inserts through the store's own schema and triggers, then serves it
with ``crawler serve`` in a subprocess and times, over HTTP, requests of four kinds:

- search: ``/api/v1/search?q=`` a word or two from a DJ or track name
- set: ``/api/v1/sets/{id}`` of a random set
- track: ``/api/v1/tracks/{id}`` (plays, months, transitions), the track of a random
  entry (so popular tracks come up as often as people meet them in sets)
- DJ: ``/api/v1/djs/{id}`` of a random DJ

Side by side, the bare baseline runs the very SQL statements each request issues (caught
from SQLAlchemy once, then replayed with ``sqlite3`` on a plain connection, rows fetched,
no HTTP, no ORM, no JSON). Aim: p95 under 50 ms for each kind, the API within 2x of bare.
Two more figures tell where the rest goes: the app's query functions called in-process
(SQLAlchemy and JSON, no HTTP), and the HTTP floor (``/healthz``, one ``SELECT 1``).

    .venv/bin/python -m bench.bench_serve            # 100,000 sets (store kept in bench/out)
    .venv/bin/python -m bench.bench_serve --sets 10000 --requests 100
    .venv/bin/python -m bench.bench_serve --clients 100 --workers 4 --requests 2000

With ``--clients N`` it times instead N concurrent clients (a closed loop, aiohttp) against
``crawler serve --workers W``: per kind, each URL asked once, asked again, and asked with
its ETag (the 304 path).

With ``--buckets`` it times instead what the rate limit costs a request: one take from
the buckets in memory (one worker), and from the SQLite file the workers share, by one
process and by 4 at once on 2 cores (each µs figure against the memory take in the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
ENTRIES_PER_SET = 20
KINDS = ("search", "set", "track", "dj")
BAR_P95_MS, BAR_RATIO = 50.0, 2.0

_SYLLABLE_TEXT = (
    "ka ri mo len sa tu vi ne lo da mi ra so ko be zu fa no xe ly ter bor gan mel"
    " dor fen wil ros mar kel sol nör bjö ché él ün år dex vox"
)
_SYLLABLES = _SYLLABLE_TEXT.split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _names(rng: random.Random, count: int, words: tuple[int, int]) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(" ".join(_word(rng) for _ in range(rng.randint(*words))))
    return sorted(seen)


def generate(path: Path, sets: int, seed: int = 15) -> None:
    """The store at ``path``: schema and triggers from the migrations, rows in bulk."""
    from crawler.normalize import artist_key, track_key
    from crawler.store.db import create_store_engine, upgrade

    rng = random.Random(seed)
    path.unlink(missing_ok=True)
    engine = create_store_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    n_tracks, n_djs, n_artists = sets * 2, max(sets // 20, 10), max(sets // 5, 40)
    artists = _names(rng, n_artists, (1, 2))
    titles = _names(rng, n_tracks, (1, 3))
    now = datetime(2026, 12, 1).isoformat(sep=" ")
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
    db.executemany(
        "INSERT INTO sources (id, key) VALUES (?, ?)",
        [(1, "schema.org"), (2, "mixesdb"), (3, "1001tracklists"), (4, "traktor")],
    )
    db.executemany(
        "INSERT INTO artists (id, key, name) VALUES (?, ?, ?)",
        [(i + 1, artist_key(name), name) for i, name in enumerate(artists)],
    )
    track_artist = [rng.randrange(n_artists) for _ in range(n_tracks)]
    keys: set[str] = set()
    track_rows = []
    for i, a in enumerate(track_artist):
        key = track_key(artists[a], titles[i], None)
        key = key if key not in keys else f"{key}|{i}"  # two titles that fold alike
        keys.add(key)
        track_rows.append((i + 1, key, a + 1, titles[i], None, None))
    db.executemany(
        "INSERT INTO tracks (id, key, artist_id, title, version, label) VALUES (?, ?, ?, ?, ?, ?)",
        track_rows,
    )
    venues = _names(rng, 300, (1, 2))
    set_rows, dj_rows, entry_rows = [], [], []
    for s in range(1, sets + 1):
        dj = rng.randrange(n_djs)  # the first n_djs artists are the DJs
        date = f"{rng.randint(2005, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        venue = rng.choice(venues)
        set_rows.append(
            (s, rng.randint(1, 4), f"https://bench.example/sets/{s}",
             f"{artists[dj]} @ {venue} {date}", json.dumps([artists[dj]]), None, venue, date,
             None, "[]", f"{s:064x}", now, now, None)
        )  # fmt: skip
        dj_rows.append((s, 0, dj + 1))
        for n in range(ENTRIES_PER_SET):
            roll = rng.random()
            unknown = roll < 0.03
            track = None if unknown else int(n_tracks * rng.random() ** 2) + 1
            title = None if unknown else titles[track - 1]  # type: ignore[operator]
            artist = None if unknown else artists[track_artist[track - 1]]  # type: ignore[operator]
            entry_rows.append(
                (s, n, n + 1, n * 300, track, artist, "[]", title, None, None, unknown,
                 n > 0 and 0.03 <= roll < 0.05, None)
            )  # fmt: skip
        if len(entry_rows) >= 200_000:
            _flush(db, set_rows, dj_rows, entry_rows)
    _flush(db, set_rows, dj_rows, entry_rows)
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _flush(db: sqlite3.Connection, sets: list, djs: list, entries: list) -> None:
    db.executemany(
        "INSERT INTO sets (id, source_id, url, title, djs, event, venue, date, duration_s,"
        f" genres, content_hash, first_seen, updated_at, gone_at) VALUES ({', '.join('?' * 14)})",
        sets,
    )
    db.executemany("INSERT INTO set_djs (set_id, ordinal, artist_id) VALUES (?, ?, ?)", djs)
    db.executemany(
        "INSERT INTO set_entries (set_id, ordinal, position, cue_s, track_id, artist, featured,"
        " title, version, label, unknown, with_previous, raw) VALUES"
        f" ({', '.join('?' * 13)})",
        entries,
    )
    for rows in (sets, djs, entries):
        rows.clear()


def samples(path: Path, count: int, seed: int = 7) -> dict[str, list[Any]]:
    """What each kind of request asks for, drawn from the store."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    sets = db.execute("SELECT max(id) FROM sets").fetchone()[0]
    djs = [r[0] for r in db.execute("SELECT DISTINCT artist_id FROM set_djs")]
    entries = db.execute("SELECT max(id) FROM set_entries").fetchone()[0]
    tracks: list[int] = []
    while len(tracks) < count:
        row = db.execute(
            "SELECT track_id FROM set_entries WHERE id = ?", (rng.randint(1, entries),)
        ).fetchone()
        if row and row[0]:
            tracks.append(row[0])
    names = [r[0] for r in db.execute("SELECT name FROM artists ORDER BY random() LIMIT ?",
                                      (count,))]  # fmt: skip
    titles = [r[0] for r in db.execute("SELECT title FROM tracks ORDER BY random() LIMIT ?",
                                       (count,))]  # fmt: skip
    words = [rng.choice([n, t]).split()[0] for n, t in zip(names, titles, strict=False)]
    db.close()
    return {
        "search": [w.lower()[: max(4, len(w) - 1)] for w in words],  # a prefix, folded case
        "set": [rng.randint(1, sets) for _ in range(count)],
        "track": tracks,
        "dj": [rng.choice(djs) for _ in range(count)],
    }


def _path(kind: str, value: Any) -> str:
    return {"search": "/api/v1/search?q={}", "set": "/api/v1/sets/{}",
            "track": "/api/v1/tracks/{}", "dj": "/api/v1/djs/{}",
            "floor": "/healthz"}[kind].format(value)  # fmt: skip


def _calls() -> dict[str, Callable[[Any, Any], Any]]:
    from crawler.serve import queries

    return {
        "search": lambda db, v: queries.search(db, v),
        "set": lambda db, v: queries.set_detail(db, v),
        "track": lambda db, v: queries.track_detail(db, v, queries.Page()),
        "dj": lambda db, v: queries.dj_detail(db, v, queries.Page()),
    }


def time_queries(url: str, kind: str, values: list[Any]) -> list[float]:
    """The app's query functions called in this process: the API without HTTP."""
    from crawler.serve.store import open_store

    sessions, call, times = open_store(url), _calls()[kind], []
    with sessions() as db:
        for value in values:
            start = time.perf_counter()
            json.dumps(call(db, value))
            times.append((time.perf_counter() - start) * 1000)
    sessions.kw["bind"].dispose()
    return times


def captured_sql(url: str, kind: str, values: list[Any]) -> list[list[tuple[str, Any]]]:
    """The SQL statements each request issues, caught from SQLAlchemy."""
    from crawler.serve.store import open_store

    sessions = open_store(url)
    engine = sessions.kw["bind"]
    caught: list[tuple[str, Any]] = []

    def catch(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        caught.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    calls = _calls()
    found = []
    with sessions() as db:
        for value in values:
            caught.clear()
            calls[kind](db, value)
            found.append(list(caught))
    engine.dispose()
    return found


def time_bare(path: Path, statements: list[list[tuple[str, Any]]]) -> list[float]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    times = []
    for request in statements:
        start = time.perf_counter()
        for sql, params in request:
            db.execute(sql, params).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    db.close()
    return times


def time_api(base: str, kind: str, values: list[Any]) -> list[float]:
    times = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for value in values:
            start = time.perf_counter()
            response = client.get(_path(kind, value))
            response.raise_for_status()
            response.json()
            times.append((time.perf_counter() - start) * 1000)
    return times


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--database", url, "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("crawler serve did not start")


async def _load(
    base: str, paths: list[str], clients: int, etags: dict[str, str] | None = None
) -> list[float]:
    """``paths`` requested by ``clients`` concurrent clients, each sending its next request
    as soon as its last was answered (a closed loop); the time of each request in ms."""
    import asyncio

    import aiohttp

    todo = iter(paths)
    times: list[float] = []
    want = 304 if etags else 200

    async def client(session: aiohttp.ClientSession) -> None:
        for path in todo:
            headers = {"If-None-Match": etags[path]} if etags else {}
            start = time.perf_counter()
            async with session.get(base + path, headers=headers) as response:
                await response.read()
                assert response.status == want, (path, response.status)
            times.append((time.perf_counter() - start) * 1000)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return times


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the process ``pid`` and its children (Linux ``/proc``;
    NaN elsewhere): what an answer costs the server, whatever else runs on the machine."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ticks = 0
        for each in [pid, *map(int, children)]:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except OSError:
        return float("nan")
    return ticks / os.sysconf("SC_CLK_TCK")


def concurrent(url: str, drawn: dict[str, list[Any]], clients: int, workers: int) -> int:
    """p95 of each kind under ``clients`` concurrent clients: the first request of each
    URL (computed), the same URLs again (answers kept by the server), and again with their
    ETags (304); and the server's CPU time a computed request (every worker's)."""
    import asyncio

    proc, base = serve(url, workers)
    rows = {}
    try:
        for kind in KINDS:
            paths = [_path(kind, v) for v in drawn[kind]]
            asyncio.run(_load(base, [_path("floor", None)] * clients, clients))  # connect
            cpu, started = server_cpu(proc.pid), time.perf_counter()
            first = asyncio.run(_load(base, paths, clients))
            first_rate = len(paths) / (time.perf_counter() - started)
            cpu = (server_cpu(proc.pid) - cpu) / len(paths) * 1000
            again = asyncio.run(_load(base, paths, clients))
            etags = {p: httpx.get(base + p, timeout=60).headers["etag"] for p in paths}
            started = time.perf_counter()
            revalidated = asyncio.run(_load(base, paths, clients, etags))
            rate = len(paths) / (time.perf_counter() - started)
            rows[kind] = {"first_p50": pct(first, 50), "first_p95": pct(first, 95),
                          "first_per_s": first_rate, "first_cpu_ms": cpu,
                          "again_p95": pct(again, 95), "304_p95": pct(revalidated, 95),
                          "304_per_s": rate}  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(20)
    print(f"{clients} concurrent clients, {workers} workers, {len(drawn['set'])} URLs a kind;"
          " times in ms")  # fmt: skip
    print(f"{'kind':8} {'first p50':>9} {'first p95':>9} {'first/s':>7} {'CPU/first':>9}"
          f" {'again p95':>9} {'304 p95':>8} {'304/s':>7}  bar (p95 < 100 ms)")  # fmt: skip
    for kind, r in rows.items():
        worst = max(r["first_p95"], r["again_p95"], r["304_p95"])
        print(f"{kind:8} {r['first_p50']:9.1f} {r['first_p95']:9.1f} {r['first_per_s']:7.0f}"
              f" {r['first_cpu_ms']:9.2f} {r['again_p95']:9.1f} {r['304_p95']:8.1f}"
              f" {r['304_per_s']:7.0f}  {'met' if worst < 100 else 'NOT met'}")  # fmt: skip
    (OUT / "bench_serve_concurrent.json").write_text(json.dumps(rows, indent=1))
    return 0


def _takes(path: str, count: int, clients: int) -> float:
    """µs per take from the shared buckets' file at ``path`` (``""``: in memory)."""
    from crawler.serve.ratelimit import FileBuckets, MemoryBuckets, parse_rate

    limit = parse_rate("1000000/second")  # every take succeeds: the common case
    buckets = FileBuckets(limit, Path(path)) if path else MemoryBuckets(limit)
    names = [f"addr:10.0.{i // 256}.{i % 256}" for i in range(clients)]
    start = time.perf_counter()
    for i in range(count):
        buckets.take(names[i % clients])
    return (time.perf_counter() - start) / count * 1e6


def buckets(count: int, processes: int = 4) -> int:
    """The rate limit's cost a request: in memory, in the shared file, and in the file
    with ``processes`` takers at once."""
    from concurrent.futures import ProcessPoolExecutor

    file = OUT / "bench-buckets.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
    memory = _takes("", count, 1000)
    alone = _takes(str(file), count, 1000)
    with ProcessPoolExecutor(processes) as pool:
        each = list(pool.map(_takes, [str(file)] * processes, [count] * processes,
                             [1000] * processes))  # fmt: skip
    print(f"rate limit, µs per request ({count:,} takes, 1,000 clients):")
    print(f"  in memory (one worker)           {memory:7.1f}")
    print(f"  shared file, one process         {alone:7.1f}  ({alone / memory:.0f}x memory)")
    print(f"  shared file, {processes} processes at once {statistics.mean(each):7.1f}"
          f"  (each; max {max(each):.1f})")  # fmt: skip
    return 0


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="of each kind")
    parser.add_argument("--regenerate", action="store_true", help="even if the store exists")
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="> 0: concurrent clients instead of the API-against-bare run",
    )
    parser.add_argument("--workers", type=int, default=4, help="serve workers with --clients")
    parser.add_argument(
        "--buckets", action="store_true", help="the rate limit's cost a request, and nothing else"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.buckets:
        return buckets(max(args.requests, 1000) * 20)
    path = OUT / f"serve-{args.sets}.db"
    url = f"sqlite:///{path}"
    if args.regenerate or not path.exists():
        start = time.perf_counter()
        generate(path, args.sets)
        print(f"generated {path.name}: {args.sets:,} sets, {args.sets * ENTRIES_PER_SET:,}"
              f" entries in {time.perf_counter() - start:.0f} s"
              f" ({path.stat().st_size / 2**20:.0f} MiB)")  # fmt: skip
    drawn = samples(path, args.requests)
    if args.clients:
        return concurrent(url, drawn, args.clients, args.workers)
    sql = {kind: captured_sql(url, kind, drawn[kind]) for kind in KINDS}
    proc, base = serve(url)
    results: dict[str, dict[str, float]] = {}
    try:
        for kind in KINDS:
            time_api(base, kind, drawn[kind][:20])  # warm both sides alike
            time_bare(path, sql[kind][:20])
            api, bare, local = [], [], []
            for half in (slice(0, None, 2), slice(1, None, 2)):  # alternate them
                api += time_api(base, kind, drawn[kind][half])
                bare += time_bare(path, sql[kind][half])
                local += time_queries(url, kind, drawn[kind][half])
            results[kind] = {
                "api_p50": pct(api, 50), "api_p95": pct(api, 95),
                "bare_p50": pct(bare, 50), "bare_p95": pct(bare, 95),
                "queries_p50": pct(local, 50), "queries_p95": pct(local, 95),
                "statements": statistics.mean(len(s) for s in sql[kind]),
            }  # fmt: skip
        healthz = time_api(base, "floor", [None] * args.requests)
        floor = (pct(healthz, 50), pct(healthz, 95))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"{args.requests} requests of each kind; times in ms")
    print(f"HTTP floor (/healthz, SELECT 1): p50 {floor[0]:.1f}, p95 {floor[1]:.1f}")
    print(f"{'kind':8} {'api p50':>8} {'api p95':>8} {'bare p50':>9} {'bare p95':>9}"
          f" {'p95 ratio':>9} {'SQL/req':>8} {'no-HTTP p50':>11} {'p95':>6}  bar")  # fmt: skip
    ok = True
    for kind, r in results.items():
        ratio = r["api_p95"] / r["bare_p95"]
        passed = r["api_p95"] < BAR_P95_MS and ratio <= BAR_RATIO
        ok &= passed
        print(f"{kind:8} {r['api_p50']:8.1f} {r['api_p95']:8.1f} {r['bare_p50']:9.1f}"
              f" {r['bare_p95']:9.1f} {ratio:9.2f} {r['statements']:8.1f}"
              f" {r['queries_p50']:11.1f} {r['queries_p95']:6.1f}"
              f"  {'met' if passed else 'NOT met'}")  # fmt: skip
    (OUT / "bench_serve.json").write_text(json.dumps({**results, "floor": floor}, indent=1))
    verdict = "met for every kind" if ok else "not met for every kind"
    print(f"bar (p95 < {BAR_P95_MS:g} ms, within {BAR_RATIO:g}x of bare): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

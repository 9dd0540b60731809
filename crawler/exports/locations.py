"""Where each DJ program keeps its history, on macOS, Windows and Linux.

``find_history(program)`` looks in the program's default places (the user's Music or
application-data folder, and for the programs that write history to a USB stick, the
mounted drives) and returns the first that holds history files, with the files to
read; ``crawler import PROGRAM`` and ``-a source=PROGRAM`` on the exports spider use it.
Pure: the system, home folder, environment and drive roots are parameters, so the
places of every system are tested on any.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath

PROGRAMS = ("serato", "mixxx", "engine", "rekordbox")
NAMES = {"serato": "Serato", "mixxx": "Mixxx", "engine": "Engine DJ", "rekordbox": "rekordbox"}


@dataclass(frozen=True)
class History:
    program: str
    folder: Path
    """The folder read, which the import names."""
    files: tuple[Path, ...]


class NoHistory(LookupError):
    """No history of the program in any place looked at; the message lists them."""


class NoSuchPath(NoHistory):
    """``--path`` names nothing: a typo rather than a folder without history."""


_INSIDE = {"serato": ("History", "Sessions"), "engine": ("Database2",), "rekordbox": ("rekordbox",)}
"""The program's own folder inside the one given (``_Serato_``, ``Engine Library``, a
stick's ``PIONEER``)."""


def drive_roots(system: str, env: Mapping[str, str]) -> list[Path]:
    """The mounted drives a USB stick or external disk appears under."""
    if system == "Darwin":
        return _children(Path("/Volumes"))
    if system == "Windows":
        return [Path(f"{letter}:\\") for letter in "DEFGHIJKLMNOPQRSTUVWXYZ"]
    user = env.get("USER", "")
    return (
        _children(Path("/media") / user)
        + _children(Path("/run/media") / user)
        + _children(Path("/mnt"))
    )


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []


def places(
    program: str, system: str, home: Path, env: Mapping[str, str], drives: Iterable[Path]
) -> list[Path]:
    """The folders the program keeps its history in, most likely first."""
    music = home / "Music"
    drives = list(drives)
    if program == "serato":
        return [music / "_Serato_" / "History" / "Sessions"] + [
            d / "_Serato_" / "History" / "Sessions" for d in drives
        ]
    if program == "mixxx":
        if system == "Windows":
            local = Path(env.get("LOCALAPPDATA", str(home / "AppData" / "Local")))
            return [local / "Mixxx"]
        if system == "Darwin":
            support = home / "Library" / "Application Support" / "Mixxx"
            sandboxed = home / "Library" / "Containers" / "org.mixxx.mixxx" / "Data" / "Library"
            return [sandboxed / "Application Support" / "Mixxx", support]
        data = Path(env.get("XDG_DATA_HOME", str(home / ".local" / "share")))
        return [data / "mixxx", home / ".mixxx"]
    if program == "engine":
        libraries = [music / "Engine Library"] + [d / "Engine Library" for d in drives]
        return [p for lib in libraries for p in (lib / "Database2", lib)]
    if program == "rekordbox":
        return [d / "PIONEER" / "rekordbox" for d in drives] + _rekordbox_library(system, home, env)
    raise ValueError(f"unknown program {program!r}: one of {', '.join(PROGRAMS)}")


def _rekordbox_library(system: str, home: Path, env: Mapping[str, str]) -> list[Path]:
    """rekordbox 6/7's own library folder (master.db): found, it is reported as the
    encrypted library it is, with the way forward."""
    if system == "Windows":
        return [
            Path(env.get("APPDATA", str(home / "AppData" / "Roaming"))) / "Pioneer" / "rekordbox"
        ]
    return [home / "Library" / "Pioneer" / "rekordbox"]


def history_files(program: str, folder: Path) -> tuple[Path, ...]:
    """The files of one place that hold the program's history (none: not this place)."""
    if program == "serato":
        return tuple(sorted(folder.glob("*.session")))
    names = {
        "mixxx": ("mixxxdb.sqlite",),
        # Engine DJ 2.x keeps history in hm.db (players) or m.db; 1.x in m.db
        "engine": ("hm.db",) if (folder / "hm.db").is_file() else ("m.db",),
        "rekordbox": ("export.pdb", "master.db"),
    }[program]
    found = tuple(folder / n for n in names if (folder / n).is_file())
    return found[:1] if program == "rekordbox" else found


def find_history(
    program: str,
    path: PurePath | str | None = None,
    *,
    system: str | None = None,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    drives: Iterable[Path] | None = None,
) -> History:
    """The program's history: in ``path`` (a folder of the program's, or the folder
    above one, or a file) when given, else in its first default place that has some."""
    system = system or platform.system()
    env = os.environ if env is None else env
    if path is not None:
        given = Path(path).expanduser()
        if given.is_file():
            return History(program, given.parent, (given,))
        if not given.exists():
            raise NoSuchPath(f"--path {given}: no such file or folder")
        # the folder itself, the program's folder inside it ("_Serato_", "Engine Library"),
        # or a home or drive holding the usual places
        inside = [given.joinpath(*_INSIDE[program])] if program in _INSIDE else []
        looked = [given, *inside, *places(program, system, given, env, [given])]
    else:
        home = home or Path.home()
        looked = places(
            program, system, home, env, drive_roots(system, env) if drives is None else drives
        )
    for folder in looked:
        if folder.is_dir() and (files := history_files(program, folder)):
            return History(program, folder, files)
    where = "\n".join(f"  {p}" for p in looked)
    raise NoHistory(f"no {NAMES[program]} history found; looked in:\n{where}")

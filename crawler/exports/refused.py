"""Files of DJ programs that hold no history we may read, and what to import instead.

rekordbox 6 and 7 keep their library in ``master.db``, an SQLite database encrypted
with SQLCipher. Decrypting it means using a key rekordbox keeps to itself; this project
does not, whatever tools exist for it. rekordbox writes the same library, playlists and
histories included, as plain XML on request. VirtualDJ's ``database.xml`` is its track
library (tags, cues, play counts), not a record of what was played when.
"""

from __future__ import annotations

from pathlib import Path

from crawler.exports._sqlite import is_sqlite

README_SECTION = 'README, "Reading DJ software directly"'

MASTER_DB = (
    "rekordbox 6/7 library (master.db): encrypted, not read. In rekordbox, use File >"
    " Export Collection in xml format and import that XML file (histories included)"
    f" ({README_SECTION})"
)
VIRTUALDJ_DATABASE = (
    "VirtualDJ library (database.xml): a track library, not a history. Import the"
    " session files of VirtualDJ's History folder (*.m3u) or its tracklist.txt instead"
    f" ({README_SECTION})"
)


def reason(path: Path, head: bytes) -> str | None:
    """Why a file is not read and what to do instead; None for any other file."""
    name = path.name.lower()
    if name.startswith("master") and name.endswith(".db") and not is_sqlite(head):
        return MASTER_DB
    if b"<VirtualDJ_Database" in head[:1024]:
        return VIRTUALDJ_DATABASE
    return None

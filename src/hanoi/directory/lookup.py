"""The directory a node checks and addresses requests against.

A node that has pinned the Secretariat's root answers from its verified copy of the signed
directory and from nothing else: a State missing there, or whose entry is not in effect
today (UTC), is unknown, even if the demo fixture knows it. Only a node that never pinned a
directory (a demo or development node) falls back to the fictional fixture of XA, XB and XC.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

from hanoi.directory.client import DirectoryClient
from hanoi.directory.entry import Entry, utc_day
from hanoi.directory.errors import DirectoryCacheError
from hanoi.directory.fixture import StateDirectory, StateInfo, load_fixture_directory

NONE_DESIGNATED = "(none designated)"


def state_info(entry: Entry) -> StateInfo:
    """What the checker and the letters need from one verified entry."""
    central = entry.authorities_of("central_authority")
    contact = entry.authorities_of("point_of_contact_24_7")
    reachable = contact or central or entry.authorities
    return StateInfo(
        code=entry.code,
        name=entry.display_name("en"),
        status=entry.treaty.status,
        languages=entry.languages,
        central_authority=central[0].name if central else NONE_DESIGNATED,
        point_of_contact_24_7=contact[0].name if contact else NONE_DESIGNATED,
        time_zone=reachable[0].time_zone,
        fictional=entry.fictional,
    )


def node_directory(home: Path) -> StateDirectory:
    """The States this node knows: its verified directory copy, or the demo fixture.

    Cheap to call on every check: the copy is read again only after a refresh or pin
    changed it on disk.
    """
    client = DirectoryClient(home)
    if not client.is_pinned:
        return load_fixture_directory()
    status = client.current / "status.json"
    stamp = status.stat().st_mtime_ns if status.exists() else 0
    return _verified_copy(home, stamp, utc_day())


@functools.lru_cache(maxsize=8)
def _verified_copy(home: Path, stamp: int, day: date) -> StateDirectory:
    # The day is part of the key: an entry comes into or goes out of effect at midnight UTC.
    try:
        entries = [e for e in DirectoryClient(home).verified_entries() if e.in_effect(day)]
    except DirectoryCacheError:
        return StateDirectory(())  # pinned but never refreshed: nobody is known yet
    return StateDirectory(state_info(e) for e in entries)

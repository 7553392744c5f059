"""A node's last good copy of the directory, read offline without python-tuf.

The copy was verified when :meth:`~hanoi.directory.client.DirectoryClient.refresh` fetched
it: every signature, version and hash, chained to the pinned root, with python-tuf. Reading
it again takes JSON and ``hashlib`` only: which States the copy holds (``status.json``) and
each State's entry, whose length and hashes are checked once more against its role's
targets metadata, so that an entry changed on disk since is refused, never believed. So a
command that looks a State up (sealing evidence for it, addressing it) loads neither
python-tuf nor its signers; a refresh and the Secretariat's repository do.

Layout under ``<node home>/directory/``::

    pinned-root.json     the root this node trusts first
    current -> gen-...   the last good copy: status.json, metadata/ (the TUF cache),
                         targets/states/XA/entry.json, targets/treaty/record.yaml

Every failure is a :class:`DirectoryCacheError` naming the file: no copy yet, a file
missing from it, or a file that no longer reads as the copy that was verified.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hanoi.directory.entry import Entry, parse_entry
from hanoi.directory.errors import DirectoryCacheError
from hanoi.directory.names import TREATY_RECORD_PATH, entry_path, role_name

if TYPE_CHECKING:
    from hanoi.treaty.record import TreatyRecord


class LocalCopy:
    """The verified copy of the directory in one node home."""

    def __init__(self, node_home: Path) -> None:
        self.home = node_home
        self.folder = node_home / "directory"

    @property
    def pinned_root_path(self) -> Path:
        return self.folder / "pinned-root.json"

    @property
    def current(self) -> Path:
        return self.folder / "current"

    @property
    def is_pinned(self) -> bool:
        return self.pinned_root_path.is_file()

    def file(self, relative: str) -> Path:
        """The path of ``relative`` in the copy; :class:`DirectoryCacheError` if there is no
        copy yet or the copy lacks it."""
        path = self.current / relative
        if not self.current.exists():
            raise DirectoryCacheError(
                f"{self.folder}: no verified copy of the directory yet: refresh it first"
            )
        if not path.is_file():
            raise DirectoryCacheError(f"{path}: missing from the verified copy; refresh it")
        return path

    def states(self) -> tuple[str, ...]:
        """The codes of the States whose entries the copy holds."""
        path = self.file("status.json")
        states = _json_object(path).get("states")
        if not isinstance(states, list) or not all(isinstance(c, str) for c in states):
            raise _damaged(path)
        return tuple(states)

    def entries(self) -> list[Entry]:
        """Every State's entry in the copy, in effect or not, by State code."""
        return [self._entry(code) for code in self.states()]

    def entry(self, code: str) -> Entry | None:
        """State ``code``'s entry, in effect or not; ``None`` if the copy has none."""
        if code not in self.states():
            return None
        return self._entry(code)

    def has_treaty_record(self) -> bool:
        """Whether the copy holds a depositary record (the Secretariat published one)."""
        return bool(_json_object(self.file("status.json")).get("treaty_record"))

    def treaty_record(self) -> TreatyRecord | None:
        """The depositary record of the copy; ``None`` if the Secretariat had published none
        when the copy was verified. Its length and hashes are checked again against
        ``targets.json``, as an entry's are against its role's."""
        if not self.has_treaty_record():
            return None
        from hanoi.treaty.record import TreatyRecordError, parse_record_bytes

        path = self.file(f"targets/{TREATY_RECORD_PATH}")
        data = path.read_bytes()
        targets_file = self.file("metadata/targets.json")
        signed = _json_object(targets_file).get("signed")
        if not isinstance(signed, dict) or signed.get("_type") != "targets":
            raise _damaged(targets_file)
        targets = signed.get("targets")
        listed = targets.get(TREATY_RECORD_PATH) if isinstance(targets, dict) else None
        if not isinstance(listed, dict) or not _matches(data, listed):
            raise DirectoryCacheError(
                f"{path}: changed on disk since it was verified; refresh the directory"
            )
        try:
            return parse_record_bytes(data, TREATY_RECORD_PATH)
        except TreatyRecordError:
            raise _damaged(path) from None

    def _entry(self, code: str) -> Entry:
        # Verified when fetched; checked again against its role's hashes to catch a damaged
        # disk (or a hand) that changed it since.
        path = entry_path(code)
        data = self.file(f"targets/{path}").read_bytes()
        role = self.file(f"metadata/{role_name(code)}.json")
        signed = _json_object(role).get("signed")
        if not isinstance(signed, dict) or signed.get("_type") != "targets":
            raise DirectoryCacheError(f"{role}: not targets metadata")
        targets = signed.get("targets")
        listed = targets.get(path) if isinstance(targets, dict) else None
        if not isinstance(listed, dict) or not _matches(data, listed):
            raise DirectoryCacheError(
                f"{self.current / 'targets' / path}: changed on disk since it was verified; "
                "refresh the directory"
            )
        return parse_entry(data, source=path)


def _matches(data: bytes, listed: dict[str, Any]) -> bool:
    """Whether ``data`` has the length and every hash its targets metadata lists."""
    length, hashes = listed.get("length"), listed.get("hashes")
    if type(length) is not int or length != len(data):
        return False
    if not isinstance(hashes, dict) or not hashes:
        return False
    for algorithm, expected in hashes.items():
        try:
            # TUF's name for BLAKE2b with a 32-byte digest; any other is hashlib's own.
            if algorithm == "blake2b-256":
                observed = hashlib.blake2b(data, digest_size=32).hexdigest()
            else:
                observed = hashlib.new(algorithm, data).hexdigest()
        except (ValueError, TypeError):
            return False  # an algorithm this Python does not know (or sizes) checks nothing
        if observed != expected:
            return False
    return True


def _json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        raise _damaged(path) from None
    if not isinstance(data, dict):
        raise _damaged(path)
    return data


def _damaged(path: Path) -> DirectoryCacheError:
    return DirectoryCacheError(f"{path}: not as it was verified; refresh the directory")

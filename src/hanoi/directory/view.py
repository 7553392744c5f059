"""The node's verified directory as the rest of Hanoi reads it, from one cache.

One reader serves everyone who asks the directory something: the request checker and the
letters (:meth:`DirectoryView.states`), the exchange's peers (:meth:`DirectoryView.entries`,
in :mod:`hanoi.exchange.peers`) and evidence (recipients, and the keys that verify a
sealing: :meth:`DirectoryView.signing_keys`, in :mod:`hanoi.evidence.service`).

A node that has pinned the Secretariat's root answers from its verified copy of the signed
directory (read without python-tuf: :class:`~hanoi.directory.local_copy.LocalCopy`) and
from nothing else: a State missing there, or whose entry is not in effect on
the UTC day asked about, is unknown, even if the demo fixture knows it. Only a node that
never pinned a directory (a demo or development node) takes the States of the fictional
fixture of XA, XB and XC (:mod:`hanoi.directory.fixture`); it knows no entries.

The depositary record comes with the States (:meth:`DirectoryView.treaty_record`, and the
``treaty`` of :meth:`DirectoryView.states`): the one in the verified copy, where the
Secretariat published one, and then it wins over what an entry says of its State's treaty
status (:mod:`hanoi.treaty.standing`); the record shipped with Hanoi on a pinned node whose
copy holds none; the demo federation's fictional record beside the fixture.

Cheap to ask on every check and every message: the verified copy is read from disk once
per copy, and its entries in effect are worked out once per UTC day. A copy is known by
the generation folder the ``current`` link names, which every refresh makes anew, and by
the time its ``status.json`` was written; so after ``hanoi directory refresh`` (in this
process or another) the next question reads the new copy, never the old one.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hanoi.crypto.jwk import ed25519_from_jwk
from hanoi.directory.entry import Entry, PublicKeyJwk, utc_day
from hanoi.directory.errors import DirectoryCacheError
from hanoi.directory.local_copy import LocalCopy
from hanoi.directory.states import StateDirectory, state_info

if TYPE_CHECKING:
    from hanoi.treaty.record import TreatyRecord

#: What names one verified copy: the generation folder ``current`` points to, and the
#: modification time of its ``status.json`` in nanoseconds ("" and 0 when missing).
CopyStamp = tuple[str, int]


class DirectoryView:
    """The directory of one node home, as its last verified copy says."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._copy = LocalCopy(home)

    @property
    def is_pinned(self) -> bool:
        """Whether this node trusts a Secretariat's root (else it knows no entries)."""
        return self._copy.is_pinned

    def entries(self, now: datetime | None = None) -> dict[str, Entry]:
        """The entries in effect on the UTC day of ``now`` (default: now), by State code;
        empty if the node pinned no directory or never refreshed its copy."""
        if not self.is_pinned:
            return {}
        return dict(_in_effect(self.home, self.stamp(), utc_day(now)).entries)

    def entry(self, code: str, now: datetime | None = None) -> Entry | None:
        """State ``code``'s entry if it is in effect on the UTC day of ``now``, else ``None``."""
        if not self.is_pinned:
            return None
        return _in_effect(self.home, self.stamp(), utc_day(now)).entries.get(code)

    def states(self, now: datetime | None = None) -> StateDirectory:
        """The States to check and address requests against: those whose entry is in effect,
        or the demo fixture's on a node that pinned no directory."""
        if not self.is_pinned:
            # The fixture (and YAML to read it) only for a node that pinned no directory.
            from hanoi.directory.fixture import load_fixture_directory

            return load_fixture_directory()
        return _in_effect(self.home, self.stamp(), utc_day(now)).states

    def treaty_record(self) -> TreatyRecord:
        """The depositary record this node checks requests against: its verified copy's,
        else the record shipped with Hanoi; the demo federation's fictional record on a
        node that pinned no directory (it goes with the fixture's States)."""
        from hanoi.treaty import demo_record, shipped_record

        if not self.is_pinned:
            return demo_record()
        signed = _signed_record(self.home, self.stamp())
        return signed if signed is not None else shipped_record()

    def signed_treaty_record(self) -> TreatyRecord | None:
        """The depositary record of the verified copy; ``None`` if it holds none."""
        if not self.is_pinned:
            return None
        return _signed_record(self.home, self.stamp())

    def signing_keys(self, state: str, kid: str, signed_at: datetime) -> list[Ed25519PublicKey]:
        """The Ed25519 keys with ``kid`` that ``state``'s entry (in effect today) lists and
        that were valid at ``signed_at``: made by then, not past ``not_after``, not revoked.
        Empty if there are none; the shape of :data:`hanoi.crypto.envelope_base.SignerKeys`."""
        entry = self.entry(state)
        if entry is None:
            return []
        return [
            ed25519_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": key.x})
            for key in entry.node.public_keys
            if key.crv == "Ed25519" and key.kid == kid and _valid_at(key, signed_at)
        ]

    def stamp(self) -> CopyStamp:
        """What names the verified copy now on disk (see :data:`CopyStamp`)."""
        current = self._copy.current
        try:
            generation = os.readlink(current)
        except OSError:
            generation = ""
        try:
            written = (current / "status.json").stat().st_mtime_ns
        except OSError:
            written = 0
        return generation, written


def node_directory(home: Path) -> StateDirectory:
    """The States the node in ``home`` checks and addresses requests against, today."""
    return DirectoryView(home).states()


class _InEffect:
    """The entries of one verified copy in effect on one day; the States made on demand,
    with the treaty status the signed record gives them where there is one."""

    def __init__(
        self, entries: Mapping[str, Entry], home: Path, stamp: CopyStamp, day: date
    ) -> None:
        self.entries: Mapping[str, Entry] = MappingProxyType(dict(entries))
        self.home = home
        self.stamp = stamp
        self.day = day

    @functools.cached_property
    def signed(self) -> TreatyRecord | None:
        # Read only for the checker and the letters: peers and evidence, which ask for
        # entries alone, load neither the record nor YAML.
        return _signed_record(self.home, self.stamp)

    @functools.cached_property
    def states(self) -> StateDirectory:
        from hanoi.treaty import shipped_record

        if self.signed is None:
            return StateDirectory(
                (state_info(e) for e in self.entries.values()), treaty=shipped_record()
            )
        from hanoi.treaty.standing import standing

        return StateDirectory(
            (
                state_info(e, standing(self.signed, e.code, self.day).status)
                for e in self.entries.values()
            ),
            treaty=self.signed,
        )


@functools.lru_cache(maxsize=8)
def _verified(home: Path, stamp: CopyStamp) -> tuple[Entry, ...]:
    # The stamp is only the cache key: a refresh makes a new one, so a new copy is read.
    try:
        return tuple(LocalCopy(home).entries())
    except DirectoryCacheError:
        return ()  # pinned but never refreshed: nobody is known yet


@functools.lru_cache(maxsize=8)
def _signed_record(home: Path, stamp: CopyStamp) -> TreatyRecord | None:
    # Like the entries: read once per copy; a copy that cannot be read has no record.
    try:
        return LocalCopy(home).treaty_record()
    except DirectoryCacheError:
        return None


@functools.lru_cache(maxsize=16)
def _in_effect(home: Path, stamp: CopyStamp, day: date) -> _InEffect:
    # The day is part of the key: an entry comes into or goes out of effect at midnight UTC.
    return _InEffect(
        {e.code: e for e in _verified(home, stamp) if e.in_effect(day)}, home, stamp, day
    )


def _valid_at(key: PublicKeyJwk, at: datetime) -> bool:
    if key.status == "revoked" and key.revoked_at is None:
        return False
    if key.created is not None and at < key.created:
        return False
    if key.not_after is not None and at >= key.not_after:
        return False
    return key.revoked_at is None or at < key.revoked_at

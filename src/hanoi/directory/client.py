"""A node's copy of the directory: fetched with ``tuf.ngclient``, verified, kept for offline use.

The node pins one root it obtained out of band (:meth:`DirectoryClient.init`); everything
else must chain to it. A refresh downloads into a fresh staging folder, seeded with the last
good metadata so that rollbacks are caught, and swaps it in only when every file verified:
if anything fails, the error names the file and the node keeps reading its last good copy.

Reading is offline. :meth:`DirectoryClient.entries` and :meth:`DirectoryClient.entry` give
only entries in effect (their validity window holds the current UTC day); the
``verified_*`` methods give every verified entry, for showing what is not in effect. They
read the copy through :class:`~hanoi.directory.local_copy.LocalCopy`, as the rest of Hanoi
does without this module (:mod:`hanoi.directory.view`).

Layout under ``<node home>/directory/``::

    pinned-root.json     the root this node trusts first
    source.json          the repository URL
    current -> gen-...   the last good copy: metadata/ (TUF cache), targets/states/XA/entry.json,
                         targets/treaty/record.yaml (the depositary record, once published)

The depositary record comes with the entries, by the same updater and the same checks
(signed by the Secretariat's targets key, its length and hashes in ``targets.json``, which
the snapshot and timestamp vouch for); a refresh that finds none leaves the copy without
one, and :attr:`CacheStatus.treaty_record` says so (``None``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import (  # type: ignore[attr-defined]
    Metadata,
    Root,
    Snapshot,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError

from hanoi.directory.entry import Entry, parse_entry, utc_day
from hanoi.directory.errors import (
    DirectoryCacheError,
    DirectoryVerificationError,
    EntryError,
)
from hanoi.directory.local_copy import LocalCopy
from hanoi.directory.names import TREATY_RECORD_PATH, entry_path, role_name
from hanoi.files import locked, replace_file

if TYPE_CHECKING:
    from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

_T = TypeVar("_T", Root, Snapshot, Targets, Timestamp)
_STATE_ROLE = re.compile(r"^states-(?P<code>[A-Z]{2})$")
_VERSION_PREFIX = re.compile(r"^(?P<version>[0-9]+)\.(?P<name>.+)$")
_HASH_PREFIX = re.compile(r"^[0-9a-f]{64}\.")
_EXPIRED = re.compile(r"(?P<name>[A-Za-z0-9-]+)(?:\.json)? is expired")


@dataclass(frozen=True)
class CacheStatus:
    """What the node's last good copy is, and when it was fetched."""

    url: str
    refreshed_at: datetime
    root_version: int
    timestamp_version: int
    timestamp_expires: datetime
    snapshot_version: int
    states: tuple[str, ...]
    treaty_record: str | None = None
    """The SHA-256 of the verified depositary record; ``None`` if none is published."""

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "refreshed_at": self.refreshed_at.isoformat(),
            "root_version": self.root_version,
            "timestamp_version": self.timestamp_version,
            "timestamp_expires": self.timestamp_expires.isoformat(),
            "snapshot_version": self.snapshot_version,
            "states": list(self.states),
            "treaty_record": self.treaty_record,
        }


class DirectoryClient:
    """The directory as one node sees it."""

    def __init__(self, node_home: Path, url: str | None = None) -> None:
        self.home = node_home
        self.copy = LocalCopy(node_home)
        self.folder = self.copy.folder
        self._url = url

    @property
    def pinned_root_path(self) -> Path:
        return self.copy.pinned_root_path

    @property
    def current(self) -> Path:
        return self.copy.current

    @property
    def is_pinned(self) -> bool:
        return self.copy.is_pinned

    @property
    def url(self) -> str:
        if self._url:
            return self._url
        source = self.folder / "source.json"
        if source.is_file():
            url = json.loads(source.read_text(encoding="utf-8")).get("url")
            if isinstance(url, str) and url:
                return url
        raise DirectoryCacheError("no directory URL known: give the repository URL")

    # trust
    def init(self, root_bytes: bytes) -> Root:
        """Pin ``root_bytes`` as the root this node trusts; it must sign itself."""
        root = _check_root(root_bytes)
        if self.is_pinned:
            if self.pinned_root_path.read_bytes() == root_bytes:
                return root
            raise DirectoryCacheError(
                f"{self.pinned_root_path}: a different root is already pinned; remove "
                f"{self.folder} to trust another directory"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        replace_file(self.pinned_root_path, root_bytes)
        if self._url:
            self._save_url(self._url)
        return root

    # refresh
    def refresh(self) -> CacheStatus:
        """Fetch and verify the whole directory; swap it in only if every file verified.

        Raises :class:`DirectoryVerificationError` (``check="refresh"``) naming the failing
        file; the last good copy is then left exactly as it was.
        """
        if not self.is_pinned:
            raise DirectoryCacheError(
                f"{self.folder}: no pinned root: trust a root first ('hanoi directory trust')"
            )
        url = self.url.rstrip("/") + "/"
        bootstrap = self.pinned_root_path.read_bytes()
        with locked(self.folder / ".lock"):
            staging = Path(tempfile.mkdtemp(dir=self.folder, prefix=".staging-"))
            try:
                status = self._fetch_into(staging, url, bootstrap)
                self._swap_in(staging)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        if self._url:
            self._save_url(self._url)
        return status

    def _fetch_into(self, staging: Path, url: str, bootstrap: bytes) -> CacheStatus:
        # The updater and its HTTP stack (urllib3) are needed only here: reading the verified
        # copy, which every command that looks a State up does, goes without them.
        from tuf.ngclient.config import UpdaterConfig
        from tuf.ngclient.updater import Updater

        metadata = staging / "metadata"
        targets_dir = staging / "targets"
        previous = self.current / "metadata"
        if previous.is_dir():
            # The last good metadata is the floor: older versions served now are rollbacks.
            shutil.copytree(previous, metadata, symlinks=True)
        else:
            metadata.mkdir()
        targets_dir.mkdir()
        requested = _RequestedFiles(url)
        fetcher = _naming_fetcher(requested)
        try:
            updater = Updater(
                metadata_dir=str(metadata),
                metadata_base_url=f"{url}metadata/",
                target_dir=str(targets_dir),
                target_base_url=f"{url}targets/",
                fetcher=fetcher,
                config=UpdaterConfig(app_user_agent="hanoi-directory"),
                bootstrap=bootstrap,
            )
            updater.refresh()
            top = _read_signed(metadata / "targets.json", Targets)
            snapshot = _read_signed(metadata / "snapshot.json", Snapshot)
            codes = []
            roles = top.delegations.roles if top.delegations and top.delegations.roles else {}
            for name in roles:
                match = _STATE_ROLE.match(name)
                if match is None or f"{name}.json" not in snapshot.meta:
                    continue  # not a State's role, or the State has not published yet
                code = match["code"]
                path = entry_path(code)
                info = updater.get_targetinfo(path)
                if info is None:
                    raise DirectoryVerificationError(
                        f"{name}.json", f"does not list {path}", check="refresh"
                    )
                destination = targets_dir / path
                destination.parent.mkdir(parents=True, exist_ok=True)
                updater.download_target(info, filepath=str(destination))
                _check_entry(destination.read_bytes(), code)
                codes.append(code)
            record_sha = None
            record_info = updater.get_targetinfo(TREATY_RECORD_PATH)
            if record_info is not None:
                destination = targets_dir / TREATY_RECORD_PATH
                destination.parent.mkdir(parents=True, exist_ok=True)
                updater.download_target(record_info, filepath=str(destination))
                _check_treaty_record(destination)
                record_sha = record_info.hashes.get("sha256")
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
            raise _explain(exc, requested) from None
        root = _read_signed(metadata / "root.json", Root)
        timestamp = _read_signed(metadata / "timestamp.json", Timestamp)
        status = CacheStatus(
            url=url,
            refreshed_at=datetime.now(UTC).replace(microsecond=0),
            root_version=root.version,
            timestamp_version=timestamp.version,
            timestamp_expires=timestamp.expires,
            snapshot_version=snapshot.version,
            states=tuple(sorted(codes)),
            treaty_record=record_sha,
        )
        replace_file(staging / "status.json", json.dumps(status.to_json(), indent=1).encode())
        return status

    def _swap_in(self, staging: Path) -> None:
        generation = self.folder / f"gen-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        staging.rename(generation)
        old = os.readlink(self.current) if self.current.is_symlink() else None
        link = self.folder / f".current-{secrets.token_hex(4)}"
        os.symlink(generation.name, link)
        os.replace(link, self.current)  # atomic: readers see the old copy or the new one
        if old is not None and old != generation.name:
            shutil.rmtree(self.folder / old, ignore_errors=True)

    # reading the last good copy (offline)
    def status(self) -> CacheStatus:
        data = json.loads(self.copy.file("status.json").read_text(encoding="utf-8"))
        return CacheStatus(
            url=data["url"],
            refreshed_at=datetime.fromisoformat(data["refreshed_at"]),
            root_version=data["root_version"],
            timestamp_version=data["timestamp_version"],
            timestamp_expires=datetime.fromisoformat(data["timestamp_expires"]),
            snapshot_version=data["snapshot_version"],
            states=tuple(data["states"]),
            treaty_record=data.get("treaty_record"),
        )

    def entries(self, now: datetime | None = None) -> list[Entry]:
        """The entries in effect at ``now`` (default: now, UTC), by State code.

        An entry whose ``effective_from`` is after the UTC day of ``now``, or whose
        ``valid_until`` is before it, is left out: nothing may be sent on what a State will
        say or said in the past. :meth:`verified_entries` lists them all.
        """
        day = utc_day(now)
        return [e for e in self.verified_entries() if e.in_effect(day)]

    def entry(self, code: str, now: datetime | None = None) -> Entry | None:
        """State ``code``'s entry if it is in effect at ``now`` (default: now, UTC), else
        ``None``: the State has no entry, or not one in effect (see :meth:`entries`)."""
        found = self.verified_entry(code)
        if found is None or not found.in_effect(utc_day(now)):
            return None
        return found

    def verified_entries(self) -> list[Entry]:
        """Every State's entry from the last good copy, in effect or not, by State code."""
        return self.copy.entries()

    def verified_entry(self, code: str) -> Entry | None:
        """State ``code``'s entry from the last good copy, in effect or not; ``None`` if the
        copy has no entry for ``code``."""
        return self.copy.entry(code)

    def role_version(self, code: str) -> int | None:
        """The version of ``states-CODE.json`` in the last good copy (to sign the next one)."""
        path = self.current / "metadata" / f"{role_name(code)}.json"
        if not path.is_file():
            return None
        return _read_signed(path, Targets).version

    def _save_url(self, url: str) -> None:
        replace_file(self.folder / "source.json", json.dumps({"url": url}).encode())


class _RequestedFiles:
    """The last URL the updater asked for, so errors can name the file."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.last_url: str | None = None

    def last_file(self) -> str:
        """The last file asked for, named as in the repository (no version or hash prefix)."""
        if self.last_url is None:
            return "root.json"
        relative = unquote(urlsplit(self.last_url).path)
        base = urlsplit(self.base_url).path
        relative = relative.removeprefix(base)
        if relative.startswith("metadata/"):
            name = relative.removeprefix("metadata/")
            match = _VERSION_PREFIX.match(name)
            if match and match["name"] != "root.json":
                return match["name"]
            return name
        if relative.startswith("targets/"):
            folder, _, base_name = relative.removeprefix("targets/").rpartition("/")
            return f"{folder}/{_HASH_PREFIX.sub('', base_name)}"
        return relative


def _naming_fetcher(requested: _RequestedFiles) -> Urllib3Fetcher:
    """The stock fetcher, noting in ``requested`` each URL asked for.

    Built here rather than at module level, as the fetcher class comes with urllib3 and
    the updater, which only a refresh needs.
    """
    from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

    class NamingFetcher(Urllib3Fetcher):
        def _fetch(self, url: str) -> Iterator[bytes]:
            requested.last_url = url
            return super()._fetch(url)

    return NamingFetcher(socket_timeout=15, app_user_agent="hanoi-directory")


def _explain(exc: Exception, requested: _RequestedFiles) -> DirectoryVerificationError:
    """One line naming the file that failed and why."""
    file = requested.last_file()
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        match = _EXPIRED.search(str(exc))
        name = f"{match['name']}.json" if match else file
        return DirectoryVerificationError(name, "expired", check="refresh")
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        return DirectoryVerificationError(
            file, f"signature threshold not met ({exc})", check="refresh"
        )
    if isinstance(exc, tuf_errors.LengthOrHashMismatchError):
        return DirectoryVerificationError(file, "length or hash mismatch", check="refresh")
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return DirectoryVerificationError(
            file, f"older or unexpected version refused ({exc})", check="refresh"
        )
    if isinstance(exc, DeserializationError):
        return DirectoryVerificationError(file, "malformed metadata", check="refresh")
    if isinstance(exc, tuf_errors.DownloadLengthMismatchError):
        return DirectoryVerificationError(file, "longer than its signed length", check="refresh")
    if isinstance(exc, tuf_errors.DownloadHTTPError):
        return DirectoryVerificationError(file, f"HTTP {exc.status_code}", check="refresh")
    if isinstance(exc, tuf_errors.DownloadError):
        return DirectoryVerificationError(
            file, f"cannot download: {_first_line(exc)}", check="refresh"
        )
    return DirectoryVerificationError(file, _first_line(exc), check="refresh")


def _first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, or of its cause's, or its type's name."""
    for candidate in (exc, exc.__cause__):
        if candidate is not None and str(candidate).strip():
            return str(candidate).strip().splitlines()[0]
    return type(exc).__name__


def _check_root(data: bytes) -> Root:
    try:
        md = Metadata[Root].from_bytes(data)
        if not isinstance(md.signed, Root):
            raise DirectoryVerificationError("root.json", f"holds {md.signed.type} metadata")
        md.signed.verify_delegate(Root.type, md.signed_bytes, md.signatures)
    except DeserializationError:
        raise DirectoryVerificationError("root.json", "malformed metadata") from None
    except tuf_errors.UnsignedMetadataError as exc:
        raise DirectoryVerificationError(
            "root.json", f"signature threshold not met ({exc})"
        ) from None
    return md.signed


def _check_entry(data: bytes, code: str) -> None:
    path = entry_path(code)
    try:
        entry = parse_entry(data, source=path)
    except EntryError as exc:
        raise DirectoryVerificationError(
            path, str(exc).removeprefix(f"{path}: "), check="refresh"
        ) from None
    if entry.code != code:
        raise DirectoryVerificationError(
            path, f"holds the entry of {entry.code}, not {code}", check="refresh"
        )


def _check_treaty_record(path: Path) -> None:
    from hanoi.treaty.record import TreatyRecordError, load_record

    try:
        load_record(path)
    except TreatyRecordError as exc:
        raise DirectoryVerificationError(
            TREATY_RECORD_PATH, f"not an acceptable treaty record: {exc}", check="refresh"
        ) from None


def _read_signed(path: Path, kind: type[_T]) -> _T:
    """A metadata file this client verified and cached itself."""
    md = Metadata[_T].from_bytes(path.read_bytes())
    if not isinstance(md.signed, kind):
        raise DirectoryCacheError(f"{path}: not {kind.type} metadata")
    return md.signed

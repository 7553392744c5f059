"""The Secretariat's signed directory: a TUF repository of plain static files.

Power is split the way TUF delegations split it. The Secretariat's ``root`` keys (2 of 3,
kept offline) say which keys run the repository; its ``targets`` key says *which keys speak
for which State* by delegating ``states/<CODE>/*`` to a role ``states-<CODE>``; its online
``snapshot`` and ``timestamp`` keys only vouch for freshness. What a State says about itself
(its entry) is signed by that State's own key, so the Secretariat can withdraw or re-assign
a delegation but can never forge an entry.

Layout of a Secretariat folder::

    keys/root/*.pem             root keys (stand-ins for offline keys), 0600
    keys/online/*.pem           targets, snapshot and timestamp keys, 0600
    keys/retired/*.pem          root keys replaced by a rotation
    incoming/                   what States hand in: states-XA.json + states/XA/entry.json
    repository/metadata/        1.root.json, timestamp.json, N.snapshot.json, N.targets.json,
                                N.states-XA.json ... (consistent snapshots)
    repository/targets/         states/XA/<sha256>.entry.json ...,
                                treaty/<sha256>.record.yaml (the depositary record)

Only ``repository/`` is served, by the Secretariat's node under ``/directory/`` or by any
static web server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# The package re-exports these without __all__, which mypy --strict reads as private.
from securesystemslib.signer import CryptoSigner, SSlibKey  # type: ignore[attr-defined]
from tuf.api.exceptions import LengthOrHashMismatchError

# tuf.api.metadata re-exports these from tuf.api._payload without __all__.
from tuf.api.metadata import (  # type: ignore[attr-defined]
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError
from tuf.api.serialization.json import JSONSerializer

from hanoi.crypto.jwk import kid_of
from hanoi.directory.entry import Entry, canonical_bytes, check_state_code, parse_entry
from hanoi.directory.errors import (
    DirectoryVerificationError,
    EntryError,
    KeyFileError,
    RepositorySetupError,
)
from hanoi.directory.keys import (
    load_private_key,
    private_key_pem,
)
from hanoi.directory.names import TREATY_RECORD_PATH, entry_path, role_name
from hanoi.files import FileTooLarge, create_file, read_bounded, replace_file

if TYPE_CHECKING:
    from hanoi.treaty.record import TreatyRecord

HASH_ALGORITHM = "sha256"
MAX_METADATA_BYTES = 1024 * 1024
KEY_FILE_MODE = 0o600
KEY_DIR_MODE = 0o700
PUBLISHED_FILE_MODE = 0o644
ONLINE_ROLES = ("targets", "snapshot", "timestamp")
_SERIALIZER = JSONSerializer(compact=False)
_SAFE_TARGET = re.compile(r"^states/[A-Z]{2}/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_T = TypeVar("_T", Root, Targets, Snapshot, Timestamp)
_VERSIONED = re.compile(r"^(?P<version>[1-9][0-9]*)\.(?P<role>[A-Za-z0-9-]+)\.json$")


def tuf_key(key: Ed25519PublicKey) -> SSlibKey:
    """The TUF view of ``key``, named by its JWK thumbprint.

    A State speaks in the directory with the same Ed25519 key its node signs messages with,
    so the TUF key id of a delegated key is the key's JWK thumbprint (RFC 7638): one name for
    one key everywhere."""
    return SSlibKey.from_crypto(key, keyid=kid_of(key))


def tuf_signer(private_key: Ed25519PrivateKey) -> CryptoSigner:
    return CryptoSigner(private_key, tuf_key(private_key.public_key()))


@dataclass(frozen=True)
class Expiry:
    """How long each kind of metadata stays valid after it is signed."""

    root: timedelta = timedelta(days=365)
    targets: timedelta = timedelta(days=90)
    snapshot: timedelta = timedelta(days=7)
    timestamp: timedelta = timedelta(days=1)


def _now(now: datetime | None) -> datetime:
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


# --- a State signs its own entry ---------------------------------------------------------


@dataclass(frozen=True)
class SignedEntry:
    """A State's signed entry: the role metadata and the entry it lists, ready to hand in."""

    code: str
    version: int
    metadata: bytes
    entry: bytes

    @property
    def metadata_name(self) -> str:
        return f"{role_name(self.code)}.json"

    @property
    def target_path(self) -> str:
        return entry_path(self.code)

    def write(self, out_dir: Path) -> list[Path]:
        """Write ``states-CODE.json`` and ``states/CODE/entry.json`` under ``out_dir``."""
        meta = out_dir / self.metadata_name
        target = out_dir / self.target_path
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_public(target, self.entry)
        _write_public(meta, self.metadata)
        return [meta, target]


def sign_entry(
    entry: Entry | bytes,
    signing_key: Ed25519PrivateKey,
    *,
    version: int = 1,
    kid: str | None = None,
    valid_for: timedelta = Expiry.targets,
    now: datetime | None = None,
) -> SignedEntry:
    """Sign ``entry`` as version ``version`` of the State's delegated role metadata.

    The entry is published as RFC 8785 canonical JSON, so its hash does not depend on how
    the State's file was laid out. ``kid``, when given, must name ``signing_key`` (the
    key's RFC 7638 thumbprint), which guards against signing with the wrong node's key.
    """
    parsed = entry if isinstance(entry, Entry) else parse_entry(entry)
    if version < 1:
        raise RepositorySetupError(f"version must be 1 or more, not {version}")
    actual = kid_of(signing_key.public_key())
    if kid is not None and kid != actual:
        raise KeyFileError(f"the signing key is {actual}, not the announced kid {kid}")
    listed = {k.kid for k in parsed.node.public_keys if k.crv == "Ed25519"}
    if actual not in listed:
        raise KeyFileError(
            f"the signing key {actual} is not among the node's Ed25519 keys listed in "
            f"{parsed.code}'s entry"
        )
    data = canonical_bytes(parsed)
    path = entry_path(parsed.code)
    signed = Targets(
        version=version,
        expires=_now(now) + valid_for,
        targets={path: TargetFile.from_data(path, data, [HASH_ALGORITHM])},
    )
    md = Metadata(signed)
    md.sign(tuf_signer(signing_key))
    return SignedEntry(parsed.code, version, md.to_bytes(_SERIALIZER), data)


def metadata_version(data: bytes) -> int:
    """The version of a metadata file, read without checking it (to choose the next one)."""
    try:
        return Metadata[Targets].from_bytes(data).signed.version
    except DeserializationError as exc:
        raise RepositorySetupError(f"not TUF metadata: {exc}") from None


# --- the Secretariat's repository --------------------------------------------------------


@dataclass(frozen=True)
class StateDelegation:
    code: str
    keyids: tuple[str, ...]
    threshold: int
    published_version: int | None


@dataclass(frozen=True)
class PublishResult:
    snapshot_version: int
    timestamp_version: int
    updated: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class TreatyRecordPublished:
    """What :meth:`SecretariatRepository.publish_treaty_record` did: the versions now
    current, the record's SHA-256, and whether it changed anything."""

    snapshot_version: int
    timestamp_version: int
    sha256: str
    changed: bool


@dataclass
class _Incoming:
    code: str
    metadata: bytes
    md: Metadata[Targets]
    targets: dict[str, bytes]


class SecretariatRepository:
    """An existing Secretariat folder (see the module docstring for its layout)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not (self.metadata_dir / "1.root.json").is_file():
            raise RepositorySetupError(
                f"{path}: no Secretariat repository here (run 'hanoi directory init')"
            )

    # folders
    @property
    def keys_dir(self) -> Path:
        return self.path / "keys"

    @property
    def repository_dir(self) -> Path:
        """The folder to serve over HTTP."""
        return self.path / "repository"

    @property
    def metadata_dir(self) -> Path:
        return self.repository_dir / "metadata"

    @property
    def targets_dir(self) -> Path:
        return self.repository_dir / "targets"

    @property
    def incoming_dir(self) -> Path:
        return self.path / "incoming"

    # creation
    @classmethod
    def init(
        cls,
        path: Path,
        *,
        root_keys: int = 3,
        threshold: int = 2,
        expiry: Expiry = Expiry(),
        now: datetime | None = None,
    ) -> SecretariatRepository:
        """Create the keys and the first version of every top-level role."""
        if not 1 <= threshold <= root_keys:
            raise RepositorySetupError(
                f"a root threshold of {threshold} needs 1 to {root_keys} keys"
            )
        if (path / "repository").exists() or (path / "keys").exists():
            raise RepositorySetupError(f"{path}: already holds a Secretariat repository")
        moment = _now(now)
        path.mkdir(parents=True, exist_ok=True)
        for folder in ("keys/root", "keys/online", "keys/retired"):
            (path / folder).mkdir(mode=KEY_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path / "keys", KEY_DIR_MODE)
        for folder in ("repository/metadata", "repository/targets", "incoming"):
            (path / folder).mkdir(parents=True, exist_ok=True)

        root_signers = [_new_key(path / "keys" / "root") for _ in range(root_keys)]
        online = {role: _new_key(path / "keys" / "online", role) for role in ONLINE_ROLES}

        root = Root(version=1, expires=moment + expiry.root, consistent_snapshot=True)
        for signer in root_signers:
            root.add_key(signer.public_key, Root.type)
        root.roles[Root.type].threshold = threshold
        for role, signer in online.items():
            root.add_key(signer.public_key, role)
        root_md = Metadata(root)
        for signer in root_signers:
            root_md.sign(signer, append=True)

        targets_md = Metadata(
            Targets(
                version=1,
                expires=moment + expiry.targets,
                delegations=Delegations(keys={}, roles={}),
            )
        )
        targets_md.sign(online["targets"])

        repo = cls.__new__(cls)
        repo.path = path
        repo._write_metadata(targets_md)
        repo._write_metadata(root_md)
        repo._write_snapshot_and_timestamp(moment, expiry, previous=None)
        return repo

    # reading
    def root_bytes(self, version: int | None = None) -> bytes:
        """The bytes of root ``version`` (default: the newest) — what nodes pin."""
        number = version if version is not None else self._latest_version(Root.type)
        path = self.metadata_dir / f"{number}.root.json"
        if not path.is_file():
            raise RepositorySetupError(f"{path.name}: no such root version")
        return path.read_bytes()

    def root(self) -> Root:
        return Metadata[Root].from_bytes(self.root_bytes()).signed

    def targets(self) -> Targets:
        return self._load(Targets, Targets.type, self._latest_version(Targets.type)).signed

    def states(self) -> list[StateDelegation]:
        """Every State with a delegation, with its keys and its published version."""
        targets = self.targets()
        snapshot_meta = self._current_snapshot().meta if self._has_timestamp() else {}
        result = []
        for name, role in _delegated_roles(targets).items():
            code = name.removeprefix("states-")
            published = snapshot_meta.get(f"{name}.json")
            result.append(
                StateDelegation(
                    code,
                    tuple(role.keyids),
                    role.threshold,
                    published.version if published is not None else None,
                )
            )
        return result

    # the Secretariat decides who speaks for a State
    def add_state(
        self,
        code: str,
        public_keys: Sequence[Ed25519PublicKey],
        *,
        threshold: int = 1,
        expiry: Expiry = Expiry(),
        now: datetime | None = None,
    ) -> StateDelegation:
        """Delegate ``states/CODE/*`` to ``public_keys`` (replacing any earlier keys).

        Re-running it for a State with a new key list is how a State's key is rotated:
        list the old and the new key until the State has signed with the new one, then the
        new key alone. The change is signed now and becomes visible at the next publish.
        """
        try:
            check_state_code(code)
        except ValueError as exc:
            raise RepositorySetupError(str(exc)) from None
        keys = [tuf_key(k) for k in public_keys]
        keyids = [k.keyid for k in keys]
        if not keys or len(set(keyids)) != len(keyids):
            raise RepositorySetupError(f"{code}: give one or more different keys")
        if not 1 <= threshold <= len(keys):
            raise RepositorySetupError(
                f"{code}: a threshold of {threshold} needs at least {threshold} keys"
            )
        current = self._load(Targets, Targets.type, self._latest_version(Targets.type))
        targets = current.signed
        name = role_name(code)
        roles = _delegated_roles(targets)
        for other, role in roles.items():
            taken = set(role.keyids) & set(keyids)
            if other != name and taken:
                raise RepositorySetupError(
                    f"{code}: key {sorted(taken)[0]} already speaks for "
                    f"{other.removeprefix('states-')}; a key speaks for one State only"
                )
        assert targets.delegations is not None
        roles[name] = DelegatedRole(
            name, keyids, threshold, terminating=True, paths=[f"states/{code}/*"]
        )
        targets.delegations.roles = roles
        used = {kid for role in roles.values() for kid in role.keyids}
        delegated_keys = {kid: k for kid, k in targets.delegations.keys.items() if kid in used}
        delegated_keys.update({k.keyid: k for k in keys})
        targets.delegations.keys = delegated_keys
        targets.version += 1
        targets.expires = _now(now) + expiry.targets
        md = Metadata(targets)
        md.sign(self._online_signer(Targets.type))
        self._write_metadata(md)
        return StateDelegation(code, tuple(keyids), threshold, None)

    # publishing
    def publish(
        self,
        incoming: Sequence[Path] | None = None,
        *,
        expiry: Expiry = Expiry(),
        now: datetime | None = None,
    ) -> PublishResult:
        """Check what States handed in, then publish it with a new snapshot and timestamp.

        ``incoming`` are the folders States handed in (default: ``incoming/``). Every check
        runs before anything is written: a State's metadata must verify with the keys
        delegated to that State (another State's key is refused by name), be newer than
        what is published, list only files under its own ``states/CODE/`` path, and every
        entry it lists must match its length and hash and parse as that State's entry.
        Published States whose keys were changed by ``add_state`` must verify too.
        Files taken from the default ``incoming/`` folder are removed once published.
        """
        moment = _now(now)
        folders = list(incoming) if incoming is not None else [self.incoming_dir]
        targets = self.targets()
        published = self._current_snapshot().meta
        arrivals: list[_Incoming] = []
        for folder in folders:
            for item in _read_incoming(folder):
                arrival = self._check_incoming(folder, item, targets, published, moment)
                if any(a.code == arrival.code for a in arrivals):
                    raise DirectoryVerificationError(item[0], "handed in twice", check="publish")
                arrivals.append(arrival)
        arrived = {a.code for a in arrivals}
        for name in _delegated_roles(targets):
            code = name.removeprefix("states-")
            info = published.get(f"{name}.json")
            if code in arrived or info is None:
                continue
            md = self._load(Targets, name, info.version)
            if not targets.get_verification_result(name, md.signed_bytes, md.signatures):
                raise DirectoryVerificationError(
                    f"{name}.json",
                    f"the published copy is not signed by the keys now delegated to {code}; "
                    f"{code} must sign its entry again with its new key",
                    check="publish",
                )

        for arrival in arrivals:
            for path, data in arrival.targets.items():
                digest = arrival.md.signed.targets[path].hashes[HASH_ALGORITHM]
                directory, _, base = path.rpartition("/")
                destination = self.targets_dir / directory / f"{digest}.{base}"
                destination.parent.mkdir(parents=True, exist_ok=True)
                _write_public(destination, data)
            _write_public(
                self.metadata_dir / f"{arrival.md.signed.version}.{role_name(arrival.code)}.json",
                arrival.metadata,
            )
        if targets.expires < moment + expiry.snapshot:
            self._resign_targets(moment, expiry)
        result = self._write_snapshot_and_timestamp(
            moment, expiry, previous=self._current_timestamp()
        )
        if incoming is None:
            for arrival in arrivals:
                (self.incoming_dir / f"{role_name(arrival.code)}.json").unlink(missing_ok=True)
                for path in arrival.targets:
                    (self.incoming_dir / path).unlink(missing_ok=True)
        return PublishResult(
            result.snapshot_version,
            result.timestamp_version,
            tuple(sorted(arrived)),
        )

    def publish_treaty_record(
        self,
        record: TreatyRecord,
        *,
        expiry: Expiry = Expiry(),
        now: datetime | None = None,
    ) -> TreatyRecordPublished:
        """Publish the depositary record as ``treaty/record.yaml``, beside the entries.

        The record is the Secretariat's own word, so it is listed in the top-level
        ``targets.json`` and signed by the online targets key, and a new snapshot and
        timestamp make it current. It is published in its canonical form
        (:func:`hanoi.treaty.record.dump_record`): the same record gives the same bytes, and
        publishing it again changes nothing (``changed`` is then false). Every check runs
        before anything is written.
        """
        from hanoi.treaty.record import dump_record

        moment = _now(now)
        data = dump_record(record)
        md = self._load(Targets, Targets.type, self._latest_version(Targets.type))
        target = TargetFile.from_data(TREATY_RECORD_PATH, data, [HASH_ALGORITHM])
        listed = md.signed.targets.get(TREATY_RECORD_PATH)
        if listed is not None and listed.hashes == target.hashes and listed.length == len(data):
            current = self._current_timestamp()
            return TreatyRecordPublished(
                current.snapshot_meta.version, current.version, target.hashes[HASH_ALGORITHM], False
            )
        directory, _, base = TREATY_RECORD_PATH.rpartition("/")
        digest = target.hashes[HASH_ALGORITHM]
        destination = self.targets_dir / directory / f"{digest}.{base}"
        destination.parent.mkdir(parents=True, exist_ok=True)
        _write_public(destination, data)
        md.signed.targets[TREATY_RECORD_PATH] = target
        md.signed.version += 1
        md.signed.expires = moment + expiry.targets
        md.signatures.clear()
        md.sign(self._online_signer(Targets.type))
        self._write_metadata(md)
        result = self._write_snapshot_and_timestamp(
            moment, expiry, previous=self._current_timestamp()
        )
        return TreatyRecordPublished(
            result.snapshot_version, result.timestamp_version, digest, True
        )

    def published_treaty_record(self) -> bytes | None:
        """The bytes of the treaty record now published, or ``None`` if none is."""
        listed = self.targets().targets.get(TREATY_RECORD_PATH)
        if listed is None:
            return None
        directory, _, base = TREATY_RECORD_PATH.rpartition("/")
        path = self.targets_dir / directory / f"{listed.hashes[HASH_ALGORITHM]}.{base}"
        return path.read_bytes()

    # root rotation
    def rotate_root(
        self,
        *,
        old_key_files: Sequence[Path] | None = None,
        new_keys: int = 3,
        threshold: int = 2,
        expiry: Expiry = Expiry(),
        now: datetime | None = None,
    ) -> list[Path]:
        """Replace the root keys: the new root is signed by a threshold of the old keys
        *and* a threshold of the new ones, so a node trusting the old root can follow.

        ``old_key_files`` are the old root keys brought out for the ceremony (default: all
        in ``keys/root``). Returns the new key files; the old ones move to ``keys/retired``.
        """
        if not 1 <= threshold <= new_keys:
            raise RepositorySetupError(
                f"a root threshold of {threshold} needs 1 to {new_keys} keys"
            )
        current = Metadata[Root].from_bytes(self.root_bytes())
        old_root = current.signed
        files = (
            list(old_key_files)
            if old_key_files is not None
            else sorted((self.keys_dir / "root").glob("*.pem"))
        )
        old_signers = []
        for path in files:
            signer = tuf_signer(load_private_key(path))
            if signer.public_key.keyid in old_root.roles[Root.type].keyids:
                old_signers.append(signer)
        needed = old_root.roles[Root.type].threshold
        if len(old_signers) < needed:
            raise RepositorySetupError(
                f"root version {old_root.version} needs {needed} of its keys to sign its "
                f"successor; {len(old_signers)} given"
            )
        new_dir = self.keys_dir / "root-new"
        new_dir.mkdir(mode=KEY_DIR_MODE, exist_ok=True)
        new_signers = [_new_key(new_dir) for _ in range(new_keys)]
        root = Metadata[Root].from_bytes(self.root_bytes()).signed
        for keyid in list(root.roles[Root.type].keyids):
            root.revoke_key(keyid, Root.type)
        for signer in new_signers:
            root.add_key(signer.public_key, Root.type)
        root.roles[Root.type].threshold = threshold
        root.version += 1
        root.expires = _now(now) + expiry.root
        md = Metadata(root)
        for signer in [*old_signers, *new_signers]:
            md.sign(signer, append=True)
        # Both the old and the new root must accept it, or nodes could not follow.
        old_root.verify_delegate(Root.type, md.signed_bytes, md.signatures)
        root.verify_delegate(Root.type, md.signed_bytes, md.signatures)
        self._write_metadata(md)
        for path in (self.keys_dir / "root").glob("*.pem"):
            path.rename(self.keys_dir / "retired" / path.name)
        moved = []
        for path in sorted(new_dir.glob("*.pem")):
            target = self.keys_dir / "root" / path.name
            path.rename(target)
            moved.append(target)
        new_dir.rmdir()
        return moved

    # internals
    def _check_incoming(
        self,
        folder: Path,
        item: tuple[str, bytes],
        targets: Targets,
        published: dict[str, MetaFile],
        moment: datetime,
    ) -> _Incoming:
        file_name, data = item
        name = file_name.removesuffix(".json")
        code = name.removeprefix("states-")
        try:
            md = Metadata[Targets].from_bytes(data)
        except DeserializationError as exc:
            raise DirectoryVerificationError(
                file_name, f"not TUF metadata: {exc}", check="publish"
            ) from None
        if not isinstance(md.signed, Targets):
            raise DirectoryVerificationError(
                file_name, f"holds {md.signed.type} metadata, not targets", check="publish"
            )
        roles = _delegated_roles(targets)
        role = roles.get(name)
        if role is None:
            raise DirectoryVerificationError(
                file_name,
                f"no State {code} has been added (run 'hanoi directory add-state')",
                check="publish",
            )
        if not targets.get_verification_result(name, md.signed_bytes, md.signatures):
            raise DirectoryVerificationError(
                file_name, _who_signed(targets, name, md), check="publish"
            )
        info = published.get(file_name)
        if info is not None and md.signed.version <= info.version:
            raise DirectoryVerificationError(
                file_name,
                f"version {md.signed.version} is not newer than the published version "
                f"{info.version}",
                check="publish",
            )
        if md.signed.is_expired(moment):
            raise DirectoryVerificationError(
                file_name, f"expired on {md.signed.expires.isoformat()}", check="publish"
            )
        if md.signed.delegations is not None:
            raise DirectoryVerificationError(
                file_name, "a State's metadata cannot delegate further", check="publish"
            )
        own_entry = entry_path(code)
        if own_entry not in md.signed.targets:
            raise DirectoryVerificationError(
                file_name, f"does not list {own_entry}", check="publish"
            )
        files: dict[str, bytes] = {}
        for path, target in md.signed.targets.items():
            if not role.is_delegated_path(path) or not _SAFE_TARGET.match(path):
                raise DirectoryVerificationError(
                    file_name,
                    f"lists {path}, outside states/{code}/* delegated to {code}",
                    check="publish",
                )
            if HASH_ALGORITHM not in target.hashes:
                raise DirectoryVerificationError(
                    file_name, f"lists {path} without a sha256 hash", check="publish"
                )
            try:
                content = _read_bounded(folder / path)
            except FileNotFoundError:
                raise DirectoryVerificationError(
                    path,
                    f"listed in {file_name} but not handed in",
                    check="publish",
                ) from None
            try:
                target.verify_length_and_hashes(content)
            except LengthOrHashMismatchError:
                raise DirectoryVerificationError(
                    path,
                    f"length or hash does not match {file_name}",
                    check="publish",
                ) from None
            files[path] = content
        try:
            entry = parse_entry(files[own_entry], source=own_entry)
        except EntryError as exc:
            raise DirectoryVerificationError(
                own_entry, str(exc).removeprefix(f"{own_entry}: "), check="publish"
            ) from None
        if entry.code != code:
            raise DirectoryVerificationError(
                own_entry, f"holds the entry of {entry.code}, not {code}", check="publish"
            )
        return _Incoming(code, data, md, files)

    def _online_signer(self, role: str) -> CryptoSigner:
        path = self.keys_dir / "online" / f"{role}.pem"
        signer = tuf_signer(load_private_key(path))
        root = self.root()
        if signer.public_key.keyid not in root.roles[role].keyids:
            raise RepositorySetupError(f"{path}: not the {role} key named in the root")
        return signer

    def _resign_targets(self, moment: datetime, expiry: Expiry) -> None:
        md = self._load(Targets, Targets.type, self._latest_version(Targets.type))
        md.signed.version += 1
        md.signed.expires = moment + expiry.targets
        md.signatures.clear()
        md.sign(self._online_signer(Targets.type))
        self._write_metadata(md)

    def _write_snapshot_and_timestamp(
        self, moment: datetime, expiry: Expiry, previous: Timestamp | None
    ) -> PublishResult:
        snapshot_version = previous.snapshot_meta.version + 1 if previous else 1
        timestamp_version = previous.version + 1 if previous else 1
        targets_version = self._latest_version(Targets.type)
        meta = {
            "targets.json": self._meta_file(Targets.type, targets_version),
        }
        for name in _delegated_roles(self.targets()):
            version = self._latest_version(name, missing_ok=True)
            if version:
                meta[f"{name}.json"] = self._meta_file(name, version)
        snapshot = Metadata(
            Snapshot(version=snapshot_version, expires=moment + expiry.snapshot, meta=meta)
        )
        snapshot.sign(self._online_signer(Snapshot.type))
        snapshot_bytes = self._write_metadata(snapshot)
        timestamp = Metadata(
            Timestamp(
                version=timestamp_version,
                expires=moment + expiry.timestamp,
                snapshot_meta=MetaFile.from_data(
                    snapshot_version, snapshot_bytes, [HASH_ALGORITHM]
                ),
            )
        )
        timestamp.sign(self._online_signer(Timestamp.type))
        _write_public(self.metadata_dir / "timestamp.json", timestamp.to_bytes(_SERIALIZER))
        return PublishResult(snapshot_version, timestamp_version)

    def _meta_file(self, name: str, version: int) -> MetaFile:
        data = (self.metadata_dir / f"{version}.{name}.json").read_bytes()
        return MetaFile.from_data(version, data, [HASH_ALGORITHM])

    def _write_metadata(self, md: Metadata[Root] | Metadata[Targets] | Metadata[Snapshot]) -> bytes:
        data = md.to_bytes(_SERIALIZER)
        _write_public(self.metadata_dir / f"{md.signed.version}.{md.signed.type}.json", data)
        return data

    def _has_timestamp(self) -> bool:
        return (self.metadata_dir / "timestamp.json").is_file()

    def _current_timestamp(self) -> Timestamp:
        data = (self.metadata_dir / "timestamp.json").read_bytes()
        return Metadata[Timestamp].from_bytes(data).signed

    def _current_snapshot(self) -> Snapshot:
        version = self._current_timestamp().snapshot_meta.version
        return self._load(Snapshot, Snapshot.type, version).signed

    def _load(self, kind: type[_T], name: str, version: int) -> Metadata[_T]:
        path = self.metadata_dir / f"{version}.{name}.json"
        md = Metadata[_T].from_bytes(path.read_bytes())
        if not isinstance(md.signed, kind):
            raise RepositorySetupError(f"{path.name}: not {kind.type} metadata")
        return md

    def _latest_version(self, name: str, *, missing_ok: bool = False) -> int:
        versions = [
            int(m["version"])
            for p in self.metadata_dir.iterdir()
            if (m := _VERSIONED.match(p.name)) and m["role"] == name
        ]
        if not versions:
            if missing_ok:
                return 0
            raise RepositorySetupError(f"{self.metadata_dir}: no {name} metadata")
        return max(versions)


# --- helpers -----------------------------------------------------------------------------


def _delegated_roles(targets: Targets) -> dict[str, DelegatedRole]:
    if targets.delegations is None or targets.delegations.roles is None:
        return {}
    return dict(targets.delegations.roles)


def _who_signed(targets: Targets, name: str, md: Metadata[Targets]) -> str:
    """Why ``md`` does not verify as ``name``, naming another State whose key signed it."""
    code = name.removeprefix("states-")
    if not md.signatures:
        return "not signed"
    assert targets.delegations is not None
    for keyid, signature in md.signatures.items():
        key = targets.delegations.keys.get(keyid)
        if key is None:
            continue
        try:
            key.verify_signature(signature, md.signed_bytes)
        except Exception:  # noqa: S112 (a bad signature is simply not evidence of a signer)
            continue
        owners = [
            other.removeprefix("states-")
            for other, role in _delegated_roles(targets).items()
            if keyid in role.keyids and other != name
        ]
        if owners:
            return (
                f"signed by the key of {owners[0]} ({keyid}), not by a key delegated to "
                f"{code}: a State signs only its own entry"
            )
    unknown = [k for k in md.signatures if k not in targets.delegations.keys]
    if unknown:
        return f"signed by an unknown key {unknown[0]}, not by a key delegated to {code}"
    role = _delegated_roles(targets)[name]
    return f"signature threshold not met: {code} needs {role.threshold} valid signature(s)"


def _read_incoming(folder: Path) -> list[tuple[str, bytes]]:
    """The ``states-CODE.json`` files handed in, in a stable order."""
    if not folder.is_dir():
        raise RepositorySetupError(f"{folder}: no such folder")
    found = []
    for path in sorted(folder.glob("states-*.json")):
        code = path.name.removeprefix("states-").removesuffix(".json")
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise DirectoryVerificationError(
                path.name, "not named states-CODE.json", check="publish"
            )
        found.append((path.name, _read_bounded(path)))
    return found


def _read_bounded(path: Path) -> bytes:
    try:
        return read_bounded(path, MAX_METADATA_BYTES)
    except FileTooLarge:
        raise DirectoryVerificationError(
            path.name, f"larger than {MAX_METADATA_BYTES:,} bytes", check="publish"
        ) from None


def _new_key(folder: Path, name: str | None = None) -> CryptoSigner:
    """Generate an Ed25519 key, saved as an owner-only PEM file named for its role or id."""
    key = Ed25519PrivateKey.generate()
    signer = tuf_signer(key)
    path = folder / f"{name or signer.public_key.keyid}.pem"
    create_file(path, private_key_pem(key), mode=KEY_FILE_MODE)
    return signer


def _write_public(path: Path, data: bytes) -> None:
    """Write a file others read (served, or handed in): whole, never half, mode 0644."""
    replace_file(path, data, mode=PUBLISHED_FILE_MODE)

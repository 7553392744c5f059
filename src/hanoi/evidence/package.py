"""An evidence package: a folder anyone can check with standard tools.

```
PKG/manifest.json      what was sealed (names, sizes, media types, both SHA-256 per file)
PKG/manifest.jws       detached Ed25519 signature of manifest.json by the sealing node
PKG/payload/0001.age   each file, age-encrypted to the recipient node (readable by `age -d`)
PKG/custody.jsonld     the chain of custody as CASE/UCO JSON-LD (valid under case_validate)
```

A package is built in a hidden folder beside its destination and renamed into place only
once every file is sealed and on disk, so an interrupted seal (a file that changed, a full
disk) never leaves a folder that looks complete. Verification checks, in order: the
signature over the manifest's bytes, the manifest itself, that the payload folder holds
exactly the files listed, and each ciphertext's size and SHA-256; it stops at the first
failure and names the file and the check. Opening re-checks every plaintext hash.

EWF (``.E01``) images are read with libewf before they are sealed, and their stored hashes
and case metadata go in the manifest beside the hashes of the media data (see
:class:`~hanoi.evidence.manifest.ForensicImage`). Media data that no longer matches the
stored hashes is sealed all the same, recorded as ``verified: false`` and reported by
:func:`image_warnings`: the sealer passes on what they were given, and the mismatch is a
fact for the court, not a reason to withhold evidence. An image libewf cannot read whole is
refused, and so is a segment of a multi-segment image without all its other segments: the
recipient could not read either.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyrage  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError
from ulid import ULID

from hanoi import __version__
from hanoi.crypto.canonical import parse_json
from hanoi.crypto.envelope_base import EnvelopeError
from hanoi.crypto.keys import SigningKey
from hanoi.errors import InvalidInput
from hanoi.evidence.custody import CustodyEvent, check_custody, custody_bytes, custody_graph
from hanoi.evidence.errors import EvidenceError, SourceError
from hanoi.evidence.ewf import inspect_ewf, is_ewf
from hanoi.evidence.manifest import (
    ForensicImage,
    Manifest,
    ManifestError,
    ManifestFile,
    Recipient,
    Sealer,
    format_utc,
    sign_manifest,
    verify_manifest,
)
from hanoi.evidence.seal import seal_file
from hanoi.files import FileTooLarge, create_file, fsync_dir, read_bounded

MANIFEST = "manifest.json"
SIGNATURE = "manifest.jws"
CUSTODY = "custody.jsonld"
PAYLOAD = "payload"
TOOL = f"Hanoi {__version__} (hanoi evidence seal)"
_READ = 1024 * 1024


class PackageError(EvidenceError, InvalidInput):
    """A package that cannot be made or opened, or does not verify: names the file and the
    check. Input, not a verification failure, by decision: opening a package sealed for
    another node fails the same way ("does not decrypt"), and that is the wrong package
    given; ``hanoi evidence verify`` answers "does not verify" (exit 1) for it itself."""


@dataclass(frozen=True)
class Verified:
    manifest: Manifest
    signer_kid: str


def seal_package(
    sources: Sequence[Path],
    *,
    out: Path,
    recipient: Recipient,
    sealer: Sealer,
    signing_key: SigningKey | tuple[Ed25519PrivateKey, str],
    request: str | None = None,
    now: datetime,
    progress: Callable[[str, int], None] | None = None,
) -> Manifest:
    """Seal ``sources`` into a new package folder ``out`` (which must not exist).

    EWF images among them are verified first (``progress`` then reports
    ``"NAME (checking the image)"``); check the returned manifest with
    :func:`image_warnings`.
    """
    if not sources:
        raise PackageError("nothing to seal: name at least one file")
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise PackageError(f"{out}: already exists; a package is never overwritten")
    planned = _plan(sources)
    images, fingerprints = _inspect_images(planned, progress)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.sealing-", dir=out.parent))
    try:
        (work / PAYLOAD).mkdir()
        files = []
        for index, (source, name) in enumerate(planned, start=1):
            payload = work / PAYLOAD / f"{index:04d}.age"
            sealed = seal_file(
                source, recipient.age_recipient, payload, progress=_per_file(progress, name)
            )
            files.append(
                ManifestFile(
                    index=index,
                    name=name,
                    size=sealed.plaintext_size,
                    media_type=_media_type(name),
                    sha256=sealed.plaintext_sha256,
                    ciphertext_size=sealed.ciphertext_size,
                    ciphertext_sha256=sealed.ciphertext_sha256,
                    forensic_image=images.get(index),
                )
            )
        # The images were read before sealing: what they said must still be what was sealed.
        for path, before in fingerprints.items():
            if _fingerprint(path) != before:
                raise SourceError(
                    path, "changed between checking the EWF image and sealing it", check="changed"
                )
        manifest = Manifest(
            package_id=str(ULID()),
            request=request,
            sealed_by=sealer,
            sealed_at=format_utc(now),
            recipient=recipient,
            files=files,
        )
        data, signature = sign_manifest(manifest, signing_key)
        create_file(work / MANIFEST, data)
        create_file(work / SIGNATURE, signature.encode("ascii") + b"\n")
        sealing = CustodyEvent(
            kind="sealing",
            performer=f"{sealer.authority}/{sealer.officer}",
            organization=sealer.authority,
            tool=TOOL,
            at=now,
            location=f"node of {sealer.state}",
        )
        create_file(work / CUSTODY, custody_bytes(custody_graph(manifest, [sealing])))
        fsync_dir(work / PAYLOAD)
        fsync_dir(work)
        os.rename(work, out)  # the package appears whole, or not at all
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def image_warnings(manifest: Manifest) -> list[str]:
    """One line for each EWF image of the package whose media data is not verified."""
    lines = []
    for entry in manifest.files:
        image = entry.forensic_image
        if image is None or image.verified:
            continue
        differ = ", ".join(_HASH_NAMES[name] for name in image.mismatches())
        if differ:
            lines.append(
                f"{entry.name}: the media data of this EWF image does not match the {differ} "
                "stored in it; sealed as given, recorded as verified: false"
            )
        else:
            lines.append(
                f"{entry.name}: this EWF image stores no hash, so its media data cannot be "
                "verified; recorded as verified: false"
            )
    return lines


_HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}


def claimed_sealer(folder: Path) -> str | None:
    """The State a package's manifest names as its sealer, *not verified*: only to choose
    whose keys :func:`verify_package` tries. ``None`` when the manifest cannot say (missing,
    too large, not JSON, nested too deep); verifying then names the fault."""
    try:
        state = parse_json(_read_small(Path(folder) / MANIFEST))["sealed_by"]["state"]
    except (PackageError, OSError, ValueError, KeyError, TypeError):
        return None
    return state if isinstance(state, str) and len(state) == 2 else None


def verify_package(
    folder: Path, *, keys_for: Callable[[str, datetime | None], Sequence[Ed25519PublicKey]]
) -> Verified:
    """Check a package without opening it; raise :class:`PackageError` at the first fault.

    ``keys_for(kid, sealed_at)`` gives the sealing node's public keys (the directory's for
    the sealing State at that time, or a key given for offline use).
    """
    folder = Path(folder)
    data = _read_small(folder / MANIFEST)
    signature = _read_small(folder / SIGNATURE)
    sealed_at = _claimed_time(data)
    try:
        manifest = verify_manifest(data, signature, keys_for=lambda kid: keys_for(kid, sealed_at))
    except EnvelopeError as exc:
        raise PackageError(f"{SIGNATURE}: {exc}") from None
    except ManifestError as exc:
        raise PackageError(str(exc)) from None
    expected = {f.payload_path for f in manifest.files}
    present = _payload_files(folder)
    for path in sorted(expected - present):
        raise PackageError(f"{path}: missing from the package")
    for path in sorted(present - expected):
        raise PackageError(f"{path}: not listed in the manifest")
    graph = _read_small(folder / CUSTODY)
    try:
        problems = check_custody(parse_json(graph, unique_keys=True), manifest)
    except ValueError as exc:
        problems = [str(exc)]
    if problems:
        raise PackageError(f"{CUSTODY}: {problems[0]}")
    for entry in manifest.files:
        size, digest = _hash_file(folder / entry.payload_path)
        if size != entry.ciphertext_size:
            raise PackageError(
                f"{entry.payload_path} ({entry.name}): {size} bytes, the manifest says "
                f"{entry.ciphertext_size}"
            )
        if digest != entry.ciphertext_sha256:
            raise PackageError(
                f"{entry.payload_path} ({entry.name}): ciphertext SHA-256 does not match the "
                "manifest"
            )
    return Verified(manifest=manifest, signer_kid=manifest.sealed_by.node_kid)


def open_package(
    folder: Path,
    *,
    identity: Any,
    out: Path,
    keys_for: Callable[[str, datetime | None], Sequence[Ed25519PublicKey]],
    files: frozenset[int] | None = None,
) -> list[Path]:
    """Verify the package, then decrypt every file (or only those whose index is in
    ``files``) into the new folder ``out`` with the node's age ``identity``, checking each
    plaintext's SHA-256 and size. ``out`` appears only once every file opened and matched.

    EWF images are not read again: equal SHA-256 of every segment file means equal media
    data, so re-hashing it (as long as sealing took) would add nothing."""
    verified = verify_package(folder, keys_for=keys_for)
    wanted = [f for f in verified.manifest.files if files is None or f.index in files]
    unknown = sorted((files or set()) - {f.index for f in wanted})
    if unknown:
        raise PackageError(f"the package has no file {unknown[0]}")
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise PackageError(f"{out}: already exists; opening never overwrites")
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.opening-", dir=out.parent))
    try:
        for entry in wanted:
            _open_one(folder / entry.payload_path, work / entry.name, entry, identity)
        fsync_dir(work)
        os.rename(work, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return [out / entry.name for entry in wanted]


def _open_one(payload: Path, target: Path, entry: ManifestFile, identity: Any) -> None:
    writer = _HashingWriter(target)
    try:
        with payload.open("rb") as source:
            pyrage.decrypt_io(source, writer, [identity])
    except pyrage.DecryptError as exc:
        raise PackageError(
            f"{entry.payload_path} ({entry.name}): does not decrypt ({exc})"
        ) from None
    finally:
        writer.close()
    if writer.size != entry.size or writer.digest() != entry.sha256:
        raise PackageError(
            f"{entry.payload_path} ({entry.name}): the decrypted file does not match the "
            "manifest's SHA-256 and size"
        )


class _HashingWriter:
    """A file object pyrage writes into: hashes and counts what it writes."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("xb")
        os.chmod(path, 0o600)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)  # pyrage aborts the process on a short count: never return less

    def flush(self) -> None:
        self._file.flush()

    def digest(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


def _plan(sources: Sequence[Path]) -> list[tuple[Path, str]]:
    """Each source with its name in the package, checked before anything is sealed."""
    planned: list[tuple[Path, str]] = []
    seen: dict[str, Path] = {}
    for source in sources:
        path = Path(source)
        name = path.name
        if path.is_symlink():
            raise PackageError(f"{path}: a symbolic link; seal the file itself")
        if not path.is_file():
            raise PackageError(f"{path}: not a regular file")
        if path.stat().st_size == 0:
            raise PackageError(f"{path}: empty; there is nothing to seal")
        try:
            ManifestFile.model_validate(
                {
                    "index": 1,
                    "name": name,
                    "size": 0,
                    "media_type": "application/octet-stream",
                    "sha256": "0" * 64,
                    "ciphertext_size": 0,
                    "ciphertext_sha256": "0" * 64,
                }
            )
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise PackageError(f"{path}: its name cannot go in a package ({reason})") from None
        key = name.casefold()
        if key in seen:
            raise PackageError(f"{path}: same name as {seen[key]}; rename one of them")
        seen[key] = path
        planned.append((path, name))
    return planned


def _inspect_images(
    planned: list[tuple[Path, str]], progress: Callable[[str, int], None] | None
) -> tuple[dict[int, ForensicImage], dict[Path, tuple[int, ...] | None]]:
    """The EWF images among the files, each read and verified once, keyed by the index of
    its first segment; and a fingerprint of every segment, to check after sealing that
    nothing changed since it was read.

    libewf finds an image's other segments next to any one of them, so a segment sealed
    without the rest is noticed here (it would verify now, and be unreadable once opened).
    """
    index_of = {_fingerprint(path, identity=True): n for n, (path, _) in enumerate(planned, 1)}
    images: dict[int, ForensicImage] = {}
    fingerprints: dict[Path, tuple[int, ...] | None] = {}
    done: set[int] = set()
    for n, (path, _) in enumerate(planned, start=1):
        if n in done or not is_ewf(path):
            continue
        segments = inspect_ewf(path, verify=False).segments  # cheap: headers and last byte
        missing = [s.name for s in segments if _fingerprint(s, identity=True) not in index_of]
        if missing:
            raise PackageError(
                f"{path}: a segment of an EWF image of {len(segments)} segments; seal them all "
                f"together (missing: {', '.join(missing)})"
            )
        positions = [index_of[_fingerprint(s, identity=True)] for s in segments]
        done.update(positions)
        fingerprints |= {s: _fingerprint(s) for s in segments}
        first = planned[positions[0] - 1][1]
        info = inspect_ewf(segments[0], progress=_checking(progress, first, segments))
        try:
            images[positions[0]] = ForensicImage.model_validate(
                {
                    "segments": positions,
                    "media_size": info.media_size,
                    "stored": info.stored,
                    "computed": info.computed,
                    "verified": info.verified,
                    "metadata": info.metadata,
                }
            )
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise PackageError(
                f"{path}: its EWF header cannot go in a manifest ({reason})"
            ) from None
    return images, fingerprints


def _fingerprint(path: Path, *, identity: bool = False) -> tuple[int, ...] | None:
    """The file itself (device, inode), or also its size and times; None if it is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    if identity:
        return (st.st_dev, st.st_ino)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _checking(
    progress: Callable[[str, int], None] | None, name: str, segments: list[Path]
) -> Callable[[int, int], None] | None:
    """Reading the media data, reported in bytes of the segment files so that a progress
    bar can count each image twice: once checked, once sealed."""
    if progress is None:
        return None
    size = sum(s.stat().st_size for s in segments)
    return lambda done, total: progress(f"{name} (checking the image)", done * size // total)


def _per_file(
    progress: Callable[[str, int], None] | None, name: str
) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(name, done)


def _media_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def _payload_files(folder: Path) -> set[str]:
    payload = folder / PAYLOAD
    if not payload.is_dir() or payload.is_symlink():
        raise PackageError(f"{PAYLOAD}/: missing from the package")
    found = set()
    for item in payload.iterdir():
        if item.is_symlink() or not item.is_file():
            raise PackageError(f"{PAYLOAD}/{item.name}: not a regular file")
        found.add(f"{PAYLOAD}/{item.name}")
    return found


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(_READ):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _read_small(path: Path, limit: int = 16 * 1024 * 1024) -> bytes:
    if path.is_symlink() or not path.is_file():
        raise PackageError(f"{path.name}: missing from the package")
    try:
        return read_bounded(path, limit)
    except FileTooLarge:
        raise PackageError(f"{path.name}: larger than {limit} bytes") from None


def _claimed_time(data: bytes) -> datetime | None:
    # Only to pick the keys that were valid then; the signature is checked before the
    # manifest's content is believed.
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        value = parse_json(data).get("sealed_at")
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return None

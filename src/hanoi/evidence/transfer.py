"""Moving encrypted payloads between nodes: resumable uploads, both ends.

The protocol is the core of tus 1.0 (https://tus.io/protocols/resumable-upload): ``HEAD``
tells how many bytes of an upload the receiver holds (``Upload-Offset``), ``PATCH`` appends
bytes at that offset. The upload itself is never created by HTTP: the sender's signed offer
(a sealed message, :mod:`hanoi.exchange`) announces the package, each payload's size and
SHA-256, and a random upload token; the receiver answers only requests bearing that token.

Receiving side (:class:`UploadArea`): bytes go to ``uploads/<package>/<NNNN>.part`` under
the node's home, appended under an exclusive lock and fsynced before a ``PATCH`` answers its
new offset, so an acknowledged byte survives a crash (a ``HEAD`` may count bytes of a piece
still arriving; the hash check below catches anything a crash tore). Once a payload is
complete its SHA-256 is checked and the file is moved into the blob store; a payload with
another hash is thrown away whole (the sender starts it again). A package whose uploads
went stale is given up by the node (``cases/evidence_transfer.py``), which removes its
partial files only while it holds the lock of each (:meth:`UploadArea.quiet`). Sending side
(:func:`push_payload`): ask the offset, send the rest in bounded pieces, read from disk as
they go (constant memory).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from hanoi.crypto.canonical import parse_json
from hanoi.errors import (
    Busy,
    Conflict,
    InvalidInput,
    Malformed,
    NotFound,
    TooLarge,
    Unavailable,
    VerificationFailed,
)
from hanoi.evidence.blobs import BlobStore
from hanoi.evidence.errors import DigestMismatch, EvidenceError, shown
from hanoi.files import fsync_dir

TUS_VERSION = "1.0.0"
CHUNK_CONTENT_TYPE = "application/offset+octet-stream"
#: The most one PATCH may carry; the sender uses less, so a cut connection loses little.
MAX_PATCH_BYTES = 64 * 1024 * 1024
PATCH_BYTES = 16 * 1024 * 1024
#: Offset conflicts in a row before the sender gives up for this round.
MAX_CONFLICTS = 3
_READ = 1024 * 1024
_PACKAGE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


# Refusals of an upload, answered to the sender by their decision (web/problems.py): a
# conflict or a bad hash tells it to ask the offset again and go on, busy to come back
# later; the others are final.


class UploadNotFound(EvidenceError, NotFound):
    """No such upload, or not for this token: the same answer, so ids cannot be probed."""

    title = "No such upload"


class UploadClosed(UploadNotFound):
    """The upload was given up here (expired, or the package failed): asked with the
    offer's token only, so the sender learns why and stops for good."""

    title = "Upload closed"


class UploadConflict(EvidenceError, Conflict):
    """The offset is not where the receiver stands: ask it again."""

    title = "Offset conflict"


class UploadBusy(EvidenceError, Busy):
    """Another request is writing this payload now: try again later."""

    title = "Upload busy"


class UploadTooLarge(EvidenceError, TooLarge):
    """More bytes than the payload's announced size, or than one request may carry."""

    title = "Upload too large"


class BadUpload(EvidenceError, Malformed):
    """A malformed upload request (headers missing or invalid)."""

    title = "Malformed upload"


class PayloadMismatch(EvidenceError, VerificationFailed):
    """A complete payload whose SHA-256 is not the announced one: discarded, to resend."""

    title = "Payload hash mismatch"


# What the sender learns from the receiver's answers.


class TransferFailed(EvidenceError, Unavailable):
    """The sender could not finish (peer down, network); worth trying again later."""


class PayloadRejected(TransferFailed):
    """The receiver discarded a complete payload whose hash was not the announced one."""


class TransferRefused(EvidenceError, InvalidInput):
    """The receiver refused the upload for good (unknown upload, repeated hash mismatch)."""


# --- receiving ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What the signed offer announced for one payload."""

    package_id: str
    index: int
    size: int
    sha256: str


class UploadArea:
    """Partial uploads under ``root`` (the node uses ``$HANOI_HOME/uploads``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, package_id: str, index: int) -> Path:
        if not _PACKAGE_ID.fullmatch(package_id) or not 1 <= index <= 9999:
            raise UploadNotFound("no such upload")
        return self.root / package_id / f"{index:04d}.part"

    def offset(self, expected: Expected, blobs: BlobStore) -> int:
        """How many bytes of the payload this node holds (all of them once it is stored)."""
        if blobs.has(expected.sha256):
            return expected.size
        try:
            return self._path(expected.package_id, expected.index).stat().st_size
        except FileNotFoundError:
            return 0

    def begin(self, expected: Expected, offset: int, length: int, blobs: BlobStore) -> Upload:
        """Lock the payload's partial file for appending ``length`` bytes at ``offset``."""
        if length > MAX_PATCH_BYTES:
            raise UploadTooLarge(f"one request may carry at most {MAX_PATCH_BYTES} bytes")
        if offset + length > expected.size:
            raise UploadTooLarge(
                f"payload {expected.index} has {expected.size} bytes; "
                f"{length} more at offset {offset} would exceed it"
            )
        path = self._path(expected.package_id, expected.index)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UploadBusy("another request is writing this payload") from None
        held = expected.size if blobs.has(expected.sha256) else os.fstat(fd).st_size
        if held != offset:
            os.close(fd)
            raise UploadConflict(f"the receiver holds {held} bytes of this payload, not {offset}")
        return Upload(fd, path, offset, length)

    def complete(self, expected: Expected, blobs: BlobStore) -> None:
        """Check a complete payload's hash and move it into the blob store.

        A payload whose hash does not match is deleted (:class:`PayloadMismatch`), so the
        sender's next ``HEAD`` says 0 and it starts over.
        """
        path = self._path(expected.package_id, expected.index)
        if blobs.has(expected.sha256):
            path.unlink(missing_ok=True)
            return
        try:
            blobs.adopt(path, expected.sha256)
        except DigestMismatch:
            path.unlink(missing_ok=True)
            raise PayloadMismatch(
                f"payload {expected.index} does not have the announced SHA-256: discarded"
            ) from None

    def finish_if_full(self, expected: Expected, blobs: BlobStore) -> bool:
        """Complete a payload whose last piece arrived but was not completed (the node
        stopped in between). True if the payload is now in the blob store."""
        if blobs.has(expected.sha256):
            return True
        path = self._path(expected.package_id, expected.index)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # not while a PATCH writes it
            if os.fstat(fd).st_size != expected.size:
                return False
            self.complete(expected, blobs)
            return True
        except (BlockingIOError, PayloadMismatch):
            return False
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def quiet(self, package_id: str) -> Iterator[bool]:
        """Hold the lock of every partial file of a package for the block; yields False
        (holding none) if a request is writing one of them now."""
        if not _PACKAGE_ID.fullmatch(package_id):
            yield False
            return
        try:
            parts = sorted((self.root / package_id).glob("*.part"))
        except OSError:
            parts = []
        fds: list[int] = []
        busy = False
        try:
            for path in parts:
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
                except FileNotFoundError:
                    continue
                fds.append(fd)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    busy = True
                    break
            yield not busy
        finally:
            for fd in fds:
                os.close(fd)  # closing releases the lock

    def packages(self) -> list[str]:
        """The packages that have a folder of partial uploads here."""
        try:
            return sorted(p.name for p in self.root.iterdir() if _PACKAGE_ID.fullmatch(p.name))
        except FileNotFoundError:
            return []

    def discard(self, package_id: str) -> None:
        """Forget every partial upload of a package (delivered, or given up)."""
        if _PACKAGE_ID.fullmatch(package_id):
            shutil.rmtree(self.root / package_id, ignore_errors=True)


class Upload:
    """One ``PATCH`` being written: bytes are appended, then made durable by :meth:`commit`.
    Browser uploads into a request's staging folder use it too (:mod:`hanoi.evidence.staging`):
    ``fd`` is open for appending and holds the file's exclusive lock, which :meth:`commit`
    releases."""

    def __init__(self, fd: int, path: Path, offset: int, length: int) -> None:
        self._fd, self.path = fd, path
        self.offset, self._left = offset, length

    def write(self, pieces: Sequence[bytes]) -> None:
        """Append ``pieces`` in order (one ``writev``, no copy into a buffer first)."""
        size = sum(len(piece) for piece in pieces)
        if size > self._left:
            raise UploadTooLarge("the request carries more bytes than its Content-Length")
        views = [memoryview(piece) for piece in pieces if piece]
        while views:
            done = os.writev(self._fd, views)
            while views and done >= len(views[0]):
                done -= len(views[0])
                views.pop(0)
            if views and done:
                views[0] = views[0][done:]
        self._left -= size
        self.offset += size

    def commit(self) -> int:
        """fsync, unlock and return the new offset. Called after a cut connection too:
        the bytes received in order are kept (tus: the bytes received are the bytes held)."""
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
        fsync_dir(self.path.parent)
        return self.offset


# --- sending --------------------------------------------------------------------------------


def push_payload(
    client: httpx.Client,
    url: str,
    token: str,
    source: Path,
    size: int,
    *,
    patch_bytes: int = PATCH_BYTES,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Upload ``source`` (``size`` bytes) to ``url``, resuming where the receiver stands.

    Raises :class:`TransferFailed` when worth retrying later (network, 5xx, busy) and
    :class:`TransferRefused` when the receiver said no for good.
    """
    headers = {"Tus-Resumable": TUS_VERSION, "Authorization": f"Bearer {token}"}
    offset = _offset(client, url, headers, size)
    conflicts = 0
    while offset < size:
        length = min(patch_bytes, size - offset)
        try:
            response = client.patch(
                url,
                content=_read_range(source, offset, length),
                headers={
                    **headers,
                    "Upload-Offset": str(offset),
                    "Content-Type": CHUNK_CONTENT_TYPE,
                    "Content-Length": str(length),
                },
            )
        except httpx.HTTPError as exc:
            raise TransferFailed(f"{url}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 409:  # we were behind or ahead: ask again
            conflicts += 1
            if conflicts > MAX_CONFLICTS:
                raise TransferFailed(f"{url}: the offset keeps moving; trying again later")
            offset = _offset(client, url, headers, size)
            continue
        _raise_for(url, response)
        new = _header_offset(url, response, size)
        if new <= offset:
            raise TransferFailed(f"{url}: the receiver did not take the piece at {offset}")
        offset, conflicts = new, 0
        if progress is not None:
            progress(offset)


def _offset(client: httpx.Client, url: str, headers: dict[str, str], size: int) -> int:
    try:
        response = client.head(url, headers=headers)
    except httpx.HTTPError as exc:
        raise TransferFailed(f"{url}: {type(exc).__name__}: {exc}") from None
    _raise_for(url, response)
    return _header_offset(url, response, size)


def _raise_for(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = _problem_detail(response)
    if status >= 500 or status in (408, 409, 423, 425, 429):
        raise TransferFailed(f"{url}: HTTP {status}: {detail}")
    if status == 422:  # the payload did not hash right: it was discarded, start it again
        raise PayloadRejected(f"{url}: {detail}")
    raise TransferRefused(f"{url}: HTTP {status}: {detail}")


#: A problem document is small; a bigger answer is not read for its detail.
MAX_PROBLEM_BYTES = 64 * 1024


def _problem_detail(response: httpx.Response) -> str:
    # The receiver's answer is untrusted: bounded, and nested JSON is no detail at all.
    if len(response.content) > MAX_PROBLEM_BYTES:
        return response.reason_phrase
    try:
        body = parse_json(response.content)
    except ValueError:
        return response.reason_phrase
    return str(body.get("detail", response.reason_phrase))[:300] if isinstance(body, dict) else ""


def _header_offset(url: str, response: httpx.Response, size: int) -> int:
    value = response.headers.get("Upload-Offset", "")
    if not value.isdigit() or int(value) > size:
        raise TransferFailed(f"{url}: the answer has no valid Upload-Offset")
    return int(value)


def _read_range(source: Path, offset: int, length: int) -> Iterator[bytes]:
    try:
        with open(source, "rb") as f:
            f.seek(offset)
            left = length
            while left:
                data = f.read(min(_READ, left))
                if not data:
                    raise TransferFailed(f"{shown(source)}: shorter than announced")
                left -= len(data)
                yield data
    except OSError as exc:
        raise TransferFailed(f"cannot read {shown(source)}: {exc.strerror or exc}") from None

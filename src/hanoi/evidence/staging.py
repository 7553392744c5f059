"""A request's staging folder: the plaintext files an officer is about to seal for it.

``<node home>/staging/<REFERENCE>/`` holds them. An operator may drop files there by hand
(from a forensic workstation, say); an officer's browser uploads land there too, resumably,
in the manner of the federation's uploads (:mod:`hanoi.evidence.transfer`): the client asks
how many bytes the node holds (the offset) and appends the rest in pieces, each written to
disk as it arrives, so a piece of any size costs the node only small buffers.

What is staged (:meth:`StagingArea.files`) is each regular file of the folder whose name is
a plain name a package accepts: symbolic links, sub-folders, special files, hidden names
(a leading dot: rsync's and editors' temporary files, and ours below) and names ending in
``.part`` (copies still under way) are not offered, so nothing outside the folder and
nothing half-copied is ever sealed.

A browser upload ``<id>`` keeps two hidden files beside the staged ones until it completes:
``.upload-<id>.json`` (the name and declared size, written once) and ``.upload-<id>.part``
(the bytes so far). A piece goes in only at the current offset (:class:`OffsetConflict`,
which tells the offset, otherwise) and never past the declared size; it is appended under
an exclusive lock and fsynced before its new offset is told. The last byte completes the
upload: the part file takes the name by a hard link, which never replaces an existing file.
A new upload is accepted only while the disk keeps :data:`SPACE_MARGIN` free beyond its
size and the rest of the uploads under way (as the node judges evidence offers). Uploads
silent for long are given up (:meth:`StagingArea.expire`).

Who may do any of this, and the audit, is the request's business
(:mod:`hanoi.cases.evidence_staging`); this module only keeps the files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import stat
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hanoi.errors import Conflict, InvalidInput, NotFound, TooLarge
from hanoi.evidence.errors import EvidenceError
from hanoi.evidence.manifest import plain_name
from hanoi.evidence.transfer import MAX_PATCH_BYTES, Upload, UploadBusy
from hanoi.files import create_file, fsync_dir, private_dir

#: The most one piece of a browser upload may carry (the page sends 8 MiB or less, so a
#: piece arrives within the server's body timeout on a slow link).
MAX_CHUNK_BYTES = 16 * 1024 * 1024
assert MAX_CHUNK_BYTES <= MAX_PATCH_BYTES
#: Free disk space kept beyond the uploads under way, as for evidence offers.
SPACE_MARGIN = 1 << 30
#: The largest file one upload may declare (a bound on a typed number, not on the disk).
MAX_FILE_BYTES = 1 << 44
PARTIAL = ".part"
_UPLOAD = "upload-"
_REFERENCE = re.compile(r"[A-Z]{2}-[0-9]{4}-[0-9]{6}")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


class StagingError(EvidenceError):
    """Base of the staging folder's refusals."""


class BadName(StagingError, InvalidInput):
    """A name that cannot be staged: says why."""

    title = "Invalid file name"


class NoRoom(StagingError, InvalidInput):
    """The disk lacks room for an upload of the declared size now."""

    title = "No room for the upload"


class StagedExists(StagingError, Conflict):
    """A file of that name is staged already."""

    title = "File already staged"


class StagedNotFound(StagingError, NotFound):
    """No such staged file, or no such upload for this request."""

    title = "Not staged"


class OffsetConflict(StagingError, Conflict):
    """A piece sent at another offset than the node holds: ``offset`` says where to go on."""

    title = "Offset conflict"

    def __init__(self, offset: int) -> None:
        super().__init__(f"the node holds {offset} bytes of this upload: send from there")
        self.offset = offset


class ChunkTooLarge(StagingError, TooLarge):
    """A piece past the declared size, or larger than one request may carry."""

    title = "Upload too large"


@dataclass(frozen=True)
class StagedFile:
    name: str
    size: int
    modified: float


@dataclass(frozen=True)
class PendingUpload:
    id: str
    name: str
    size: int
    offset: int

    @property
    def complete(self) -> bool:
        return self.offset >= self.size


def check_name(name: str) -> str:
    """``name`` in Unicode NFC if it may be staged and sealed; :class:`BadName` otherwise:
    a plain name as a package takes it (no separators, controls, edge spaces, at most 255
    bytes of UTF-8), not hidden and not a partial copy."""
    if not isinstance(name, str):
        raise BadName("a file name is text")
    name = unicodedata.normalize("NFC", name)
    try:
        plain_name(name)
    except ValueError as exc:
        raise BadName(f"{name[:60]!r}: {exc}") from None
    if name.startswith("."):
        raise BadName(f"{name[:60]!r}: a file name may not start with a dot (hidden files)")
    if name.endswith(PARTIAL):
        raise BadName(f"{name[:60]!r}: a name ending in {PARTIAL} is kept for partial copies")
    return name


class StagingArea:
    """The staging folders under ``root`` (the node uses ``$HANOI_HOME/staging``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, reference: str) -> Path:
        """The request's folder (not created here)."""
        if not _REFERENCE.fullmatch(reference):
            raise StagedNotFound(f"{reference[:30]!r} is not a request reference")
        return self.root / reference

    def _made(self, reference: str) -> Path:
        private_dir(self.root)
        folder = self.folder(reference)
        private_dir(folder)
        return folder

    # --- staged files ---------------------------------------------------------------

    def files(self, reference: str) -> list[StagedFile]:
        """The files staged for the request, by name."""
        found: list[StagedFile] = []
        try:
            entries = list(os.scandir(self.folder(reference)))
        except (FileNotFoundError, NotADirectoryError):
            return []
        for entry in entries:
            try:
                check_name(entry.name)
                info = entry.stat(follow_symlinks=False)
            except (BadName, OSError):
                continue
            if stat.S_ISREG(info.st_mode):
                found.append(StagedFile(entry.name, info.st_size, info.st_mtime))
        return sorted(found, key=lambda f: f.name.casefold())

    def path(self, reference: str, name: str) -> Path:
        """The path of a staged file, checked to be one :meth:`files` lists."""
        name = check_name(name)
        path = self.folder(reference) / name
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                return path
        except OSError:
            pass
        raise StagedNotFound(f"{name[:60]!r} is not staged for {reference}")

    def remove(self, reference: str, name: str) -> None:
        """Remove a staged file (never what a link points to: only the name)."""
        path = self.path(reference, name)
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)

    # --- browser uploads ------------------------------------------------------------

    def find(self, reference: str, name: str, size: int) -> PendingUpload | None:
        """The upload under way for the same name and size, if any (so a client that lost
        its id goes on rather than starts over)."""
        name = check_name(name)
        for pending in self.uploads(reference):
            if pending.name == name and pending.size == size:
                return pending
        return None

    def start(self, reference: str, name: str, size: int) -> PendingUpload:
        """A new upload of ``size`` bytes named ``name``."""
        name = check_name(name)
        if not isinstance(size, int) or not 0 < size <= MAX_FILE_BYTES:
            raise BadName(f"a file to upload has between 1 and {MAX_FILE_BYTES} bytes")
        folder = self._made(reference)
        if os.path.lexists(folder / name):
            raise StagedExists(f"{name[:60]!r} is staged already: remove it first")
        free = shutil.disk_usage(folder).free
        room = free - SPACE_MARGIN - self._reserved()
        if size > room:
            raise NoRoom(
                f"no room for {size:,} bytes on this node now ({max(room, 0):,} bytes may be "
                f"uploaded, keeping {SPACE_MARGIN:,} free): free disk space, or place the file "
                "in the staging folder by other means"
            )
        upload_id = secrets.token_hex(16)
        meta = json.dumps({"name": name, "size": size}).encode("utf-8")
        create_file(folder / f".{_UPLOAD}{upload_id}.json", meta)
        return PendingUpload(upload_id, name, size, 0)

    def uploads(self, reference: str) -> list[PendingUpload]:
        """The uploads under way for the request."""
        folder = self.folder(reference)
        try:
            names = sorted(p.name for p in folder.glob(f".{_UPLOAD}*.json"))
        except OSError:
            return []
        found = []
        for meta in names:
            upload_id = meta[len(_UPLOAD) + 1 : -len(".json")]
            with contextlib.suppress(StagedNotFound):
                found.append(self.upload(reference, upload_id))
        return found

    def upload(self, reference: str, upload_id: str) -> PendingUpload:
        """The upload's name, size and offset; :class:`StagedNotFound` if none such."""
        meta, part = self._files_of(reference, upload_id)
        try:
            declared = json.loads(meta.read_bytes())
            name, size = str(declared["name"]), int(declared["size"])
        except (OSError, ValueError, KeyError, TypeError):
            raise StagedNotFound("no such upload") from None
        try:
            offset = os.lstat(part).st_size
        except FileNotFoundError:
            offset = 0
        return PendingUpload(upload_id, name, size, offset)

    def begin(self, reference: str, upload_id: str, offset: int, length: int) -> Upload:
        """Lock the upload's part file for appending ``length`` bytes at ``offset``;
        :class:`OffsetConflict` (with the offset held) if that is not where it stands."""
        pending = self.upload(reference, upload_id)
        if length > MAX_CHUNK_BYTES:
            raise ChunkTooLarge(f"one request may carry at most {MAX_CHUNK_BYTES:,} bytes")
        if offset + length > pending.size:
            raise ChunkTooLarge(
                f"{pending.name[:60]!r} was declared with {pending.size:,} bytes; {length:,} "
                f"more at offset {offset:,} would exceed it"
            )
        _, part = self._files_of(reference, upload_id)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UploadBusy("another request is writing this upload") from None
        held = os.fstat(fd).st_size
        if held != offset:
            os.close(fd)
            raise OffsetConflict(held)
        return Upload(fd, part, offset, length)

    def complete(self, reference: str, upload_id: str) -> StagedFile:
        """Give a complete upload its name (never over an existing file: then the upload is
        discarded and :class:`StagedExists` says so)."""
        pending = self.upload(reference, upload_id)
        if not pending.complete:
            raise OffsetConflict(pending.offset)
        meta, part = self._files_of(reference, upload_id)
        target = self.folder(reference) / pending.name
        try:
            os.link(part, target)
        except FileExistsError:
            self.abandon(reference, upload_id)
            raise StagedExists(
                f"{pending.name[:60]!r} was staged meanwhile: the upload was discarded"
            ) from None
        part.unlink()
        meta.unlink()
        fsync_dir(target.parent)
        info = os.lstat(target)
        return StagedFile(pending.name, info.st_size, info.st_mtime)

    def abandon(self, reference: str, upload_id: str) -> None:
        """Forget an upload and the bytes it holds."""
        meta, part = self._files_of(reference, upload_id)
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)

    def expire(self, *, after: float, now: float | None = None) -> list[str]:
        """Give up the uploads of every request untouched for ``after`` seconds (none being
        written now); their ids."""
        now = time.time() if now is None else now
        gone = []
        for reference, upload_id, meta, part in self._every_upload():
            try:
                touched = max(os.lstat(p).st_mtime for p in (meta, part) if os.path.lexists(p))
            except (OSError, ValueError):
                continue
            if now - touched < after:
                continue
            with self._quiet(part) as quiet:
                if quiet:
                    self.abandon(reference, upload_id)
                    gone.append(upload_id)
        return gone

    # --- inside ---------------------------------------------------------------------

    def _files_of(self, reference: str, upload_id: str) -> tuple[Path, Path]:
        if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
            raise StagedNotFound("no such upload")
        folder = self.folder(reference)
        meta = folder / f".{_UPLOAD}{upload_id}.json"
        if not meta.is_file() or meta.is_symlink():
            raise StagedNotFound("no such upload")
        return meta, folder / f".{_UPLOAD}{upload_id}{PARTIAL}"

    def _every_upload(self) -> Iterator[tuple[str, str, Path, Path]]:
        try:
            folders = [p for p in self.root.iterdir() if _REFERENCE.fullmatch(p.name)]
        except FileNotFoundError:
            return
        for folder in folders:
            for meta in folder.glob(f".{_UPLOAD}*.json"):
                upload_id = meta.name[len(_UPLOAD) + 1 : -len(".json")]
                if _UPLOAD_ID.fullmatch(upload_id):
                    yield folder.name, upload_id, meta, folder / f".{_UPLOAD}{upload_id}{PARTIAL}"

    def _reserved(self) -> int:
        """Bytes still to come for every upload under way."""
        total = 0
        for reference, upload_id, _, _ in self._every_upload():
            with contextlib.suppress(StagedNotFound):
                pending = self.upload(reference, upload_id)
                total += max(pending.size - pending.offset, 0)
        return total

    @staticmethod
    @contextlib.contextmanager
    def _quiet(part: Path) -> Iterator[bool]:
        """Hold the part file's lock for the block; False if a request writes it now."""
        try:
            fd = os.open(part, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            yield True
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            yield False
            return
        try:
            yield True
        finally:
            os.close(fd)

"""One file of a received evidence package, decrypted for an officer of the requesting State
who downloads it from the request page or through the JSON API.

The rules, in the order they are applied:

- downloading plaintext evidence is an act on the request: the role must have
  ``act_on_requests`` (a read-only role, or a read-only API token, is refused);
- need-to-know as for the request itself: another authority's package is "no such package";
- only a package this node received and verified (``delivered``), and only a file its
  manifest lists;
- before any plaintext exists, the opening of that one file is recorded: a custody step
  (``opening`` of that file, which leaves the ciphertext in custody: see
  :mod:`hanoi.evidence.custody`) written into the package folder's ``custody.jsonld`` too,
  an ``evidence-file-opened`` event on the timeline (and so in the transparency log) and an
  ``evidence.file-downloaded`` audit row; a download that fails afterwards is recorded as
  an opening all the same, since plaintext may have left the node;
- the payload is then decrypted as a stream with the node's age identity
  (:func:`hanoi.evidence.plaintext.decrypt_stream`: constant memory, every chunk
  authenticated, both SHA-256 and the size checked before the last chunk). A payload that
  does not match raises in the stream, so an HTTP download is cut, never cleanly ended, and
  the failure is audited as ``evidence.file-download-failed``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from hanoi import audit
from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases.access import get_request, require
from hanoi.cases.evidence import (
    EvidenceDeliveryError,
    PackageNotFound,
    package_folder,
    package_for,
    record_opening,
    write_custody,
)
from hanoi.cases.lifecycle import Side
from hanoi.cases.timeline import record_event
from hanoi.crypto.keys import KeyStore
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.evidence.manifest import ManifestFile
from hanoi.evidence.models import Direction, EvidencePackage, PackageStatus
from hanoi.evidence.plaintext import PlaintextMismatch, decrypt_stream
from hanoi.exchange.identity import PASSPHRASE_ENV, LocalNode

Channel = Literal["web", "api"]
_CHANNEL_WORDS: dict[Channel, tuple[str, str]] = {
    # (how the custody description says it, the tool that did it)
    "web": ("in the browser", "web download"),
    "api": ("through the JSON API", "JSON API download"),
}


class EvidenceFileNotFound(PackageNotFound):
    """The package lists no file with that index."""

    title = "No such evidence file"


@dataclass(frozen=True)
class FileDownload:
    """A file on its way out: what the manifest says of it, and its plaintext."""

    index: int
    name: str
    size: int
    media_type: str
    sha256: str
    chunks: Iterator[bytes]
    """The plaintext; raises :class:`PlaintextMismatch` instead of ending if it does not
    match the manifest."""


def download_file(
    db: Database,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    package_id: str,
    index: int,
    identity: Any,
    channel: Channel = "web",
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> FileDownload:
    """File ``index`` of package ``package_id`` of request ``reference``, its opening
    recorded (custody, timeline, audit) before the returned stream gives a byte."""
    require(user, Permission.ACT_ON_REQUESTS, "download evidence files")
    now = now or utcnow()
    words, tool = _CHANNEL_WORDS[channel]
    with db.session() as session:
        row = package_for(session, user=user, reference=reference, package_id=package_id)
        # Locked and read again: two openings at once each append their own step.
        session.refresh(row, with_for_update=True)
        if row.direction != Direction.INCOMING.value or row.status != PackageStatus.DELIVERED:
            raise EvidenceDeliveryError(
                f"package {package_id} is not a package this node received and verified: "
                "only those can be opened here"
            )
        entry = _entry(row, index)
        case = get_request(session, user=user, reference=reference, record_view=False)
        folder = package_folder(node.home, row)
        performer = f"{case.requesting_authority}/{user.username}"
        record_opening(
            node, row, case, user,
            tool=tool,
            description=f"file {index:04d} ({entry.name}) downloaded by {performer} {words}",
            files=frozenset({index}), now=now,
        )  # fmt: skip
        detail = {"package": package_id, "file": str(index), "name": entry.name}
        record_event(
            session, case, user.username, Side.REQUESTING, "evidence-file-opened", detail, now
        )
        audit.record(
            session,
            actor=user.username,
            action="evidence.file-downloaded",
            target_type="request",
            target_id=reference,
            detail={**detail, "bytes": str(entry.size), "via": channel},
            remote_addr=remote_addr,
            at=now,
        )
        session.flush()
        # Written before the commit, as open_received does: should the commit fail, the
        # folder is one step ahead and package_folder() puts the database's graph back.
        write_custody(folder, row.custody)
    chunks = decrypt_stream(folder / entry.payload_path, entry, identity)
    return FileDownload(
        index=index,
        name=entry.name,
        size=entry.size,
        media_type=entry.media_type,
        sha256=entry.sha256,
        chunks=_audited(chunks, db, user.username, reference, detail, remote_addr),
    )


def node_identity(node: LocalNode) -> Any:
    """The node's age identity, opened with the passphrase the node was started with (the
    ``HANOI_KEY_PASSPHRASE`` environment variable) if its keys are protected."""
    store = KeyStore(node.home)
    passphrase = os.environ.get(PASSPHRASE_ENV) if store.keyring().protected else None
    return store.age_identity(passphrase)


def _entry(row: EvidencePackage, index: int) -> ManifestFile:
    for entry in row.manifest.files:
        if entry.index == index:
            return entry
    raise EvidenceFileNotFound(f"package {row.id} has no file {index}")


def _audited(
    chunks: Iterator[bytes],
    db: Database,
    actor: str,
    reference: str,
    detail: dict[str, str],
    remote_addr: str | None,
) -> Iterator[bytes]:
    """``chunks``, with a failure audited (in a transaction of its own) before it is raised
    on."""
    try:
        yield from chunks
    except PlaintextMismatch as exc:
        with db.session() as session:
            audit.record(
                session,
                actor=actor,
                action="evidence.file-download-failed",
                target_type="request",
                target_id=reference,
                detail={**detail, "check": exc.check, "sent": str(exc.sent), "problem": str(exc)},
                remote_addr=remote_addr,
            )
        raise

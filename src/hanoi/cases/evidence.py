"""Evidence delivered for a request: the requested State sends sealed packages, the
requesting State receives, verifies and opens them.

The steps, each on the node that does it::

    seal_for_request  (requested)   seal files for the request into a package folder
                                    (hanoi.cases.evidence_seal, imported here)
    deliver_package   (requested)   check the package, store its payloads, queue a signed
                                    offer: manifest, signature, custody graph, upload token
    receive offer     (requesting)  check the manifest's signature against the directory (keys
                                    valid when sealed and still on arrival), the custody graph
                                    and the room left by earlier offers' reservations; await
                                    the payloads
    push_due          (requested)   once the offer's receipt is in, upload every payload,
                                    resuming where the receiver stands (evidence_transfer.py)
    upload_target     (requesting)  each payload is hashed as it lands (evidence/transfer.py)
    finish_landed     (requesting)  rebuild the package folder, verify it whole, record the
                                    receipt in its custody graph, answer with a signed receipt
                                    (evidence_transfer.py)
    expire_stale_uploads (requesting)  give up uploads silent for the node's expiry: partial
                                    files removed, reservation ended, the sender told
                                    (evidence_transfer.py)
    receive receipt   (requested)   the package is delivered; the receiver's custody graph kept
    open_received     (requesting)  decrypt with the node's identity, re-check each plaintext
                                    hash, record the opening

Every step leaves an event on the request's timeline and an audit entry. On disk, per node:
``blobs/`` (payloads by SHA-256), ``uploads/`` (partial uploads), ``evidence/<package>/``
(the package folder, its payloads hard links into the blob store); on the requested side
also ``staging/<REFERENCE>/`` (plaintext files to seal, evidence_staging.py) and
``sealing/`` (packages being sealed from there, removed once delivered).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hanoi import __version__
from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases.access import counterpart_case, get_request, require
from hanoi.cases.errors import CasesError
from hanoi.cases.evidence_seal import DELIVERABLE, check_deliverable, package_summary

# Sealing lives in a light module of its own (a sealing process imports only it); its error
# and its entry point stay importable from here.
from hanoi.cases.evidence_seal import EvidenceDeliveryError as EvidenceDeliveryError
from hanoi.cases.evidence_seal import seal_for_request as seal_for_request
from hanoi.cases.lifecycle import Side, Status
from hanoi.cases.messages import PAYLOAD_FORMAT, tell_other_node
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.cases.timeline import record_audit, record_event
from hanoi.crypto.canonical import parse_json
from hanoi.crypto.envelope import EnvelopeError, OpenedMessage
from hanoi.crypto.keys import KeyStore
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.errors import NotFound
from hanoi.evidence.archive import PROOFS
from hanoi.evidence.blobs import BlobStore
from hanoi.evidence.custody import CustodyEvent, add_event, check_custody
from hanoi.evidence.errors import DigestMismatch, EvidenceError
from hanoi.evidence.manifest import (
    MAX_MANIFEST_BYTES,
    Manifest,
    ManifestError,
    parse_manifest,
    verify_manifest,
)
from hanoi.evidence.models import Direction, EvidencePackage, PackageStatus
from hanoi.evidence.package import (
    CUSTODY,
    MANIFEST,
    PAYLOAD,
    SIGNATURE,
    open_package,
    verify_package,
)
from hanoi.evidence.service import KeysFor, directory_keys, keys_at_receipt
from hanoi.evidence.staging import StagingArea
from hanoi.evidence.transfer import UploadArea
from hanoi.exchange.errors import ExchangeError, MessageRejected
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.outbox import payload_json
from hanoi.files import replace_file
from hanoi.ledger.service import proof_for_leaf

OFFER = "evidence.offer"
RECEIPT = "evidence.receipt"
TOOL = f"Hanoi {__version__} (federation delivery)"
#: How far ahead of this node's clock a sender's custody step may be dated (clock skew).
CLOCK_SKEW = timedelta(minutes=5)
#: Free disk space kept beyond an offered package's size before its offer is accepted.
SPACE_MARGIN = 1 << 30
#: PostgreSQL advisory lock held while an offer is judged against the space that earlier
#: offers reserve, so two offers arriving at once in two processes cannot both take the
#: last room (on SQLite the inbox's first write already holds the database's write lock).
_SPACE_LOCK = 0x68616E6F69657673  # "hanoievs"


class PackageNotFound(EvidenceDeliveryError, NotFound):
    """No such package for this request at the user's authority (or not complete here)."""

    title = "No such evidence package"


@dataclass(frozen=True)
class NodeFiles:
    """Where a node keeps evidence on disk."""

    home: Path

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.home / "blobs")

    @property
    def uploads(self) -> UploadArea:
        return UploadArea(self.home / "uploads")

    def folder(self, package_id: str) -> Path:
        return self.home / "evidence" / package_id

    @property
    def staging(self) -> StagingArea:
        """Plaintext files staged for sealing, a folder per request (evidence_staging.py)."""
        return StagingArea(self.home / "staging")


# --- sending (the requested State) ----------------------------------------------------------


def deliver_package(
    db: Database,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    package: Path,
    now: datetime | None = None,
) -> EvidencePackage:
    """Offer the sealed package folder ``package`` to the State that made request
    ``reference``; its payloads are uploaded once the other node has the offer."""
    now = now or utcnow()
    files = NodeFiles(node.home)
    with db.session() as session:  # cheap checks first: nothing is copied for a refusal
        case = get_request(session, user=user, reference=reference, record_view=False)
        check_deliverable(case, user)
    manifest_text, signature, custody_bytes = _read_package_texts(package)
    manifest = _verify_own(node, package, manifest_text, signature)
    _check_for(manifest, case)
    problems = check_custody(_json(custody_bytes.decode("utf-8")), manifest)
    if problems:
        raise EvidenceDeliveryError(f"{package}: custody.jsonld: {problems[0]}")
    for entry in manifest.files:  # outside any transaction: may be many gigabytes
        # One read per payload: put_file hashes what it copies and stores nothing unless it
        # is the signed ciphertext, so the copy is the package's check too.
        try:
            files.blobs.put_file(package / entry.payload_path, entry.ciphertext_sha256)
        except DigestMismatch:
            raise EvidenceDeliveryError(
                f"{entry.payload_path} ({entry.name}): ciphertext SHA-256 does not match the "
                "manifest"
            ) from None
    token = secrets.token_urlsafe(32)
    with db.session() as session:
        case = get_request(session, user=user, reference=reference, record_view=False, lock=True)
        check_deliverable(case, user)
        if session.get(EvidencePackage, manifest.package_id) is not None:
            raise EvidenceDeliveryError(f"package {manifest.package_id} was delivered before")
        authority = case.requested_authority
        custody = add_event(
            custody_bytes,
            manifest,
            CustodyEvent(
                kind="transfer",
                performer=f"{authority}/{user.username}",
                organization=authority,
                tool=TOOL,
                at=now,
                location=place(node, node.state),
                description=f"sent to {case.requesting_authority} ({case.requesting_state})",
            ),
        ).decode("utf-8")
        message = tell_other_node(
            session,
            node,
            case,
            OFFER,
            {
                "package_id": manifest.package_id,
                "manifest": manifest_text,
                "signature": signature,
                "custody": custody,
                "upload_token": token,
            },
            user.username,
            now,
        )
        row = _new_package(
            manifest,
            manifest_text,
            token,
            now,
            request_id=case.id,
            direction=Direction.OUTGOING.value,
            status=PackageStatus.OFFERED.value,
            peer_state=case.requesting_state,
            signature=signature,
            custody=custody,
            upload_token=token,
            offer_message_id=message.message_id,
            created_by=user.username,
        )
        session.add(row)
        detail = package_summary(manifest)
        record_event(session, case, user.username, Side.REQUESTED, "evidence-offered", detail, now)
        record_audit(session, user.username, "evidence.offered", case, detail, now)
        session.flush()
        build_folder(files, row)
        session.expunge(row)
        return row


def _verify_own(node: LocalNode, package: Path, manifest_text: str, signature: str) -> Manifest:
    """The manifest as read, signed by this node's own key (it sealed the package)."""
    public = node.signing_key.key.public_key()
    kid = node.signing_key.kid
    try:
        return verify_manifest(
            manifest_text.encode("utf-8"),
            signature,
            keys_for=lambda wanted: [public] if wanted == kid else [],
        )
    except (EnvelopeError, ManifestError) as exc:
        raise EvidenceDeliveryError(
            f"{package}: not a package sealed by this node: {exc}"
        ) from None


def _read_package_texts(package: Path) -> tuple[str, str, bytes]:
    """manifest.json, manifest.jws and custody.jsonld, read once (bounded)."""
    try:
        manifest = (package / MANIFEST).read_bytes()
        signature = (package / SIGNATURE).read_bytes()
        custody = (package / CUSTODY).read_bytes()
        if max(len(manifest), len(custody)) > MAX_MANIFEST_BYTES or len(signature) > 4096:
            raise EvidenceDeliveryError(f"{package}: not a package (files too large)")
        return manifest.decode("utf-8"), signature.decode("ascii").strip(), custody
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceDeliveryError(f"{package}: not a readable package: {exc}") from None


def _check_for(manifest: Manifest, case: CaseRequest) -> None:
    """The package was sealed for this request and for the State that made it."""
    if manifest.request != case.reference:
        raise EvidenceDeliveryError(
            f"the package was sealed for request {manifest.request or '(none)'}, "
            f"not {case.reference}"
        )
    if manifest.recipient.state != case.requesting_state:
        raise EvidenceDeliveryError(
            f"the package is sealed for {manifest.recipient.state}, but {case.reference} "
            f"came from {case.requesting_state}"
        )
    wanted = manifest.recipient.authority
    if wanted is not None and wanted != case.requesting_authority:
        raise EvidenceDeliveryError(
            f"the package is sealed for {wanted}, not {case.requesting_authority}"
        )


# --- receiving (the requesting State) -------------------------------------------------------


def apply_evidence_message(
    session: Session,
    node: LocalNode,
    opened: OpenedMessage,
    now: datetime,
    *,
    space_limit: int | None = None,
) -> str:
    """The exchange's handler for ``evidence.*`` messages from another node; an offer is
    judged against :func:`room_for_evidence` with ``space_limit`` (the node's
    ``evidence_space_limit`` setting)."""
    try:
        payload = payload_json(opened.payload)
        if payload.get("format") != PAYLOAD_FORMAT:
            raise MessageRejected(f"not a {PAYLOAD_FORMAT} message")
        if opened.claims.message_type == OFFER:
            return _receive_offer(session, node, opened, payload, now, space_limit)
        if opened.claims.message_type == RECEIPT:
            return _receive_receipt(session, opened, payload, now)
        raise MessageRejected(f"unknown message type {opened.claims.message_type!r}")
    except (ValueError, KeyError, TypeError) as exc:
        raise MessageRejected(f"the payload does not fit its type: {exc}") from None
    except (CasesError, EvidenceError) as exc:
        raise MessageRejected(str(exc)) from None


def _receive_offer(
    session: Session,
    node: LocalNode,
    opened: OpenedMessage,
    payload: dict[str, Any],
    now: datetime,
    space_limit: int | None,
) -> str:
    sender = opened.claims.sender
    case = counterpart_case(session, sender.state, payload["reference"])
    if case.side != Side.REQUESTING.value:
        raise MessageRejected(f"{case.reference}: evidence comes to the State that requested")
    manifest_text, signature = str(payload["manifest"]), str(payload["signature"])
    # Judged at the sealing time the manifest claims and at its arrival here.
    keys = keys_at_receipt(directory_keys(node.directory, sender.state), now - CLOCK_SKEW)
    try:
        manifest = verify_manifest(
            manifest_text.encode("utf-8"),
            signature,
            keys_for=lambda kid: keys(kid, _sealed_at(manifest_text)),
        )
    except (EnvelopeError, ManifestError) as exc:
        raise MessageRejected(f"the package's manifest does not verify: {exc}") from None
    if manifest.package_id != payload["package_id"] or manifest.sealed_by.state != sender.state:
        raise MessageRejected("the offer and its signed manifest disagree")
    if manifest.request != case.reference or manifest.recipient.state != node.state:
        raise MessageRejected(f"the package is not sealed for {case.reference} at {node.state}")
    if manifest.recipient.age_recipient != KeyStore(node.home).age_recipient():
        raise MessageRejected("the package is sealed to another age key than this node's")
    if Status(case.status) not in DELIVERABLE:
        raise MessageRejected(f"{case.reference} is {case.status} here: no evidence expected")
    custody = str(payload["custody"])
    problems = check_custody(_json(custody), manifest)
    if problems:
        raise MessageRejected(f"the package's custody graph: {problems[0]}")
    if last_step_time(custody) > now + CLOCK_SKEW:
        raise MessageRejected("the package's custody graph records steps in the future")
    size = sum(f.ciphertext_size for f in manifest.files)
    if size > room_for_evidence(session, node.home, limit=space_limit):
        raise MessageRejected(
            f"no room for {size} bytes of evidence at this node now (the offers it accepted "
            "earlier reserve the rest until their uploads end): offer it again later"
        )
    token = payload["upload_token"]
    if not isinstance(token, str) or not 32 <= len(token) <= 64:
        raise MessageRejected("the offer carries no valid upload token")
    if session.get(EvidencePackage, manifest.package_id) is not None:
        raise MessageRejected(f"package {manifest.package_id} was offered before")
    session.add(
        _new_package(
            manifest,
            manifest_text,
            token,
            now,
            request_id=case.id,
            direction=Direction.INCOMING.value,
            status=PackageStatus.TRANSFERRING.value,
            peer_state=sender.state,
            signature=signature,
            custody=custody,
            upload_token=None,  # the receiver keeps only its hash
            offer_message_id=opened.claims.message_id,
            created_by=f"node:{sender.state}",
        )
    )
    detail = package_summary(manifest)
    message_id = opened.claims.message_id
    record_event(
        session,
        case,
        sender.authority,
        Side.REQUESTED,
        "evidence-offered",
        detail,
        now,
        message_id=message_id,
    )
    return case.id


def _receive_receipt(
    session: Session, opened: OpenedMessage, payload: dict[str, Any], now: datetime
) -> str:
    sender = opened.claims.sender
    case = counterpart_case(session, sender.state, payload["reference"])
    row = session.get(EvidencePackage, str(payload["package_id"]), with_for_update=True)
    if row is None or row.request_id != case.id or row.direction != Direction.OUTGOING.value:
        raise MessageRejected(f"no package {payload['package_id']!r} was sent for {case.reference}")
    if payload["manifest_sha256"] != row.manifest_sha256:
        raise MessageRejected("the receipt is for another manifest than the one sent")
    # A sender that gave up (or whose last answer was lost) still takes the receiver's word.
    waiting = (PackageStatus.SENT, PackageStatus.TRANSFERRING, PackageStatus.FAILED)
    if row.status not in waiting or row.verified is not None:
        raise MessageRejected(f"package {row.id} is {row.status}: no receipt expected")
    message_id = opened.claims.message_id
    if payload["verified"] is True:
        custody = str(payload["custody"])
        theirs, ours = _json(custody), _json(row.custody)
        if check_custody(theirs, row.manifest):
            raise MessageRejected("the receiver's custody graph does not fit the package")
        if theirs["@graph"][: len(ours["@graph"])] != ours["@graph"]:
            raise MessageRejected("the receiver's custody graph rewrites the steps sent to it")
        row.custody, row.verified, row.delivered_at = custody, True, now
        row.status = PackageStatus.DELIVERED.value
        detail = {"package": row.id}
        action = "evidence-delivered"
    else:
        row.status, row.verified = PackageStatus.FAILED.value, False
        row.last_error = f"{sender.state} could not verify it: {payload['problem']}"[:1000]
        detail = {"package": row.id, "problem": str(payload["problem"])[:300]}
        action = "evidence-rejected"
    row.updated_at, row.upload_token = now, None  # the token has served
    record_event(
        session, case, sender.authority, Side.REQUESTING, action, detail, now, message_id=message_id
    )
    return case.id


# --- disk space for offers ------------------------------------------------------------------


def reserved_space(session: Session) -> tuple[int, int]:
    """(reserved, arrived): the bytes that accepted offers still being uploaded reserve (the
    whole of each package) and how many of those are on disk already.

    A package reserves its size from the moment its offer is accepted until its uploads
    end: complete (``landed``: its payloads are in the blob store, counted by the disk
    itself), failed, or expired. The reservation lives in the database (the package rows),
    so every process of the node sees the same one.
    """
    reserved, arrived = session.execute(
        select(
            func.coalesce(func.sum(EvidencePackage.bytes_total), 0),
            func.coalesce(func.sum(EvidencePackage.bytes_done), 0),
        ).where(
            EvidencePackage.direction == Direction.INCOMING.value,
            EvidencePackage.status == PackageStatus.TRANSFERRING.value,
        )
    ).one()
    return int(reserved), int(arrived)


def room_for_evidence(session: Session, home: Path, *, limit: int | None = None) -> int:
    """The bytes a new offer may still take at this node: the free disk space under
    ``home``, less :data:`SPACE_MARGIN` and less what accepted offers reserve and has not
    arrived yet; and, if ``limit`` is set, no more than ``limit`` less every reservation.

    Takes a lock (PostgreSQL: an advisory lock held to the end of the transaction) so that
    the offer judged now is recorded before the next one is judged.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SPACE_LOCK})
    reserved, arrived = reserved_space(session)
    room = shutil.disk_usage(home).free - SPACE_MARGIN - max(reserved - arrived, 0)
    if limit is not None:
        room = min(room, limit - reserved)
    return max(room, 0)


# --- reading and opening --------------------------------------------------------------------


def list_packages(session: Session, *, user: User, reference: str) -> list[EvidencePackage]:
    """The packages of a request the user's authority handles, oldest first."""
    return packages_of(
        session, get_request(session, user=user, reference=reference, record_view=False)
    )


def packages_of(session: Session, case: CaseRequest) -> list[EvidencePackage]:
    """The packages of a request the caller has already read under need-to-know."""
    return list(
        session.scalars(
            select(EvidencePackage)
            .where(EvidencePackage.request_id == case.id)
            .order_by(EvidencePackage.created_at, EvidencePackage.id)
        )
    )


def package_for(
    session: Session, *, user: User, reference: str, package_id: str
) -> EvidencePackage:
    """One package of a request the user's authority handles (need-to-know)."""
    for row in list_packages(session, user=user, reference=reference):
        if row.id == package_id:
            return row
    raise PackageNotFound(f"no package {package_id!r} for {reference}")


def package_folder(node_home: Path, package: EvidencePackage) -> Path:
    """The package folder as this node holds it, its custody graph brought up to date; a
    received package only once it verified."""
    folder = NodeFiles(node_home).folder(package.id)
    incoming = package.direction == Direction.INCOMING.value
    if not folder.is_dir() or (incoming and package.status != PackageStatus.DELIVERED.value):
        raise PackageNotFound(f"package {package.id} is not a verified package on this node")
    if (folder / CUSTODY).read_text("utf-8") != package.custody:
        write_custody(folder, package.custody)
    return folder


def package_events(db: Database, package: EvidencePackage) -> list[tuple[str, str]]:
    """(action, ledger leaf hash in hex) of this node's timeline events about the package,
    oldest first: the events its ``proofs/`` folder proves."""
    with db.session() as session:
        return [
            (event.action, event.ledger_leaf)
            for event in session.scalars(
                select(RequestEvent)
                .where(RequestEvent.request_id == package.request_id)
                .order_by(RequestEvent.id)
            )
            if event.ledger_leaf and event.detail.get("package") == package.id
        ]


def write_proofs(
    db: Database, folder: Path, package: EvidencePackage, *, quorum: int
) -> list[Path]:
    """Put in ``folder/proofs/`` the offline proof (C2SP tlog-proof) of each of this
    node's timeline events about the package that a signed checkpoint covers, with the
    witnesses' cosignatures (see :func:`hanoi.ledger.service.proof_for_leaf` for
    ``quorum``): ``01-evidence-offered.tlog-proof`` ... Each file is replaced
    whole; a court checks them with ``hanoi ledger verify-proof``."""
    written = []
    for number, (action, leaf) in enumerate(package_events(db, package), start=1):
        proof = proof_for_leaf(db, bytes.fromhex(leaf), quorum=quorum)
        if proof is None:
            continue  # not in a signed checkpoint yet
        target = folder / PROOFS / f"{number:02d}-{action}.tlog-proof"
        target.parent.mkdir(mode=0o700, exist_ok=True)
        replace_file(target, proof)
        written.append(target)
    return written


def open_received(
    db: Database,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    package_id: str,
    identity: Any,
    out: Path,
    files: frozenset[int] | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Decrypt a delivered package (every file, or those whose index is in ``files``) into
    the new folder ``out``, re-checking every hash, and record the opening in its custody
    graph, on the timeline and in the audit log. A package may be opened any number of
    times: each opening is a branch off its chain of custody."""
    require(user, Permission.ACT_ON_REQUESTS, "open evidence")
    with db.session() as session:
        row = package_for(session, user=user, reference=reference, package_id=package_id)
        if row.direction != Direction.INCOMING.value or row.status != PackageStatus.DELIVERED:
            raise EvidenceDeliveryError(f"package {package_id} is not a verified delivery here")
        session.expunge(row)
        folder = package_folder(node.home, row)
        # Recorded before any plaintext exists, so a crash cannot leave an unrecorded opening.
        case = get_request(session, user=user, reference=reference, record_view=False)
        record_audit(
            session, user.username, "evidence.opening", case, {"package": package_id}, utcnow()
        )
    opened = open_package(
        folder,
        identity=identity,
        out=out,
        keys_for=directory_keys(node.directory, row.peer_state),
        files=files,
    )
    now = now or utcnow()
    with db.session() as session:
        stored = session.get(EvidencePackage, package_id, with_for_update=True)
        case = get_request(session, user=user, reference=reference, record_view=False)
        assert stored is not None
        record_opening(
            node, stored, case, user,
            tool="hanoi evidence open", description=f"opened into {out.name}", files=files, now=now,
        )  # fmt: skip
        detail = {"package": package_id, "files": str(len(opened))}
        if files is not None:
            detail["indexes"] = ",".join(str(n) for n in sorted(files))
        record_event(session, case, user.username, Side.REQUESTING, "evidence-opened", detail, now)
        record_audit(session, user.username, "evidence.opened", case, detail, now)
        write_custody(folder, stored.custody)
    return opened


def record_opening(
    node: LocalNode,
    row: EvidencePackage,
    case: CaseRequest,
    user: User,
    *,
    tool: str,
    description: str,
    files: frozenset[int] | None,
    now: datetime,
) -> None:
    """Add an opening of ``files`` (None: all) by ``user`` to the package's custody graph,
    dated no earlier than its last step; the caller writes the graph to the folder."""
    authority = case.requesting_authority
    row.custody = add_event(
        row.custody.encode("utf-8"),
        row.manifest,
        CustodyEvent(
            kind="opening",
            performer=f"{authority}/{user.username}",
            organization=authority,
            tool=f"Hanoi {__version__} ({tool})",
            at=max(now, last_step_time(row.custody)),
            location=place(node, node.state),
            description=description,
            files=files,
        ),
    ).decode("utf-8")
    row.updated_at = now


# --- helpers --------------------------------------------------------------------------------


def build_folder(files: NodeFiles, row: EvidencePackage, *, verify: KeysFor | None = None) -> Path:
    """The package folder on this node, built from the blob store (hard links) and the
    stored texts in a hidden folder, verified there with ``verify`` keys if given
    (:class:`PackageError`), and only then renamed into place."""
    folder = files.folder(row.id)
    if folder.is_dir():
        write_custody(folder, row.custody)
        return folder
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{row.id}.building-", dir=folder.parent))
    try:
        (work / PAYLOAD).mkdir()
        for entry in row.manifest.files:
            source = files.blobs.path(entry.ciphertext_sha256)
            try:
                os.link(source, work / entry.payload_path)
            except OSError:  # another file system: copy
                shutil.copyfile(source, work / entry.payload_path)
        (work / MANIFEST).write_text(row.manifest_text, "utf-8")
        (work / SIGNATURE).write_text(row.signature + "\n", "ascii")
        (work / CUSTODY).write_text(row.custody, "utf-8")
        if verify is not None:
            verify_package(work, keys_for=verify)
        os.rename(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder


def write_custody(folder: Path, custody: str) -> None:
    """Replace the folder's custody.jsonld atomically (it grows with each step)."""
    replace_file(folder / CUSTODY, custody.encode("utf-8"))


def _new_package(
    manifest: Manifest, manifest_text: str, token: str, now: datetime, **fields: Any
) -> EvidencePackage:
    """A package row, on either side: what both derive from the signed manifest and the
    offer's upload token, plus the side's own ``fields``."""
    return EvidencePackage(
        id=manifest.package_id,
        manifest_text=manifest_text,
        manifest_sha256=hashlib.sha256(manifest_text.encode("utf-8")).hexdigest(),
        bytes_total=sum(f.ciphertext_size for f in manifest.files),
        bytes_done=0,
        upload_token_sha256=token_hash(token),
        attempts=0,
        created_at=now,
        updated_at=now,
        **fields,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def place(node: LocalNode, state: str) -> str:
    """A State as custody records name a location: its name and code."""
    try:
        return f"{node.peers.entry(state).display_name('en')} ({state})"
    except ExchangeError:
        return state


def _sealed_at(manifest_text: str) -> datetime | None:
    # Only to pick the keys valid then: the signature is checked before the content counts.
    try:
        return datetime.fromisoformat(
            parse_manifest(manifest_text.encode("utf-8")).sealed_at.replace("Z", "+00:00")
        )
    except (ManifestError, ValueError):
        return None


def last_step_time(custody: str) -> datetime:
    """When the last recorded custody step ended (the graph was checked on arrival)."""
    ends = [
        datetime.fromisoformat(str(node["uco-action:endTime"]["@value"]).replace("Z", "+00:00"))
        for node in json.loads(custody)["@graph"]
        if isinstance(node, dict) and "uco-action:endTime" in node
    ]
    return max(ends)


def _json(text: str) -> dict[str, Any]:
    try:
        value = parse_json(text, unique_keys=True)
    except ValueError as exc:
        raise MessageRejected(f"the custody graph is not readable JSON: {exc}") from None
    if not isinstance(value, dict):
        raise MessageRejected("the custody graph is not a JSON object")
    return value

"""Moving a package's payloads once its offer is accepted, and checking it on arrival.

Sending node: :func:`push_due` (the evidence worker) uploads the payloads of one package at a
time, under a lease renewed after every piece, resuming from the receiver's offset, and
backs off when the other node is unreachable. Receiving node: :func:`upload_target` and
:func:`upload_progress` serve the upload endpoint; :func:`finish_landed` (the evidence
worker) builds the package folder from the blob store, verifies it whole before it is
shown anywhere, records the receipt step and answers with a signed evidence receipt;
:func:`expire_stale_uploads` (the evidence worker too) gives up the packages on which no
byte arrived for the node's ``evidence_upload_expiry``: their partial uploads are removed,
the space their offer reserved is free again, and the sender is told.

Status changes are conditional updates (``WHERE status = ...``), so a receipt, a retry and
a finished upload racing each other cannot move a package backwards.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta

import httpx
from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from hanoi.cases.evidence import (
    CLOCK_SKEW,
    RECEIPT,
    TOOL,
    NodeFiles,
    build_folder,
    last_step_time,
    place,
    token_hash,
    write_custody,
)
from hanoi.cases.lifecycle import Side
from hanoi.cases.messages import tell_other_node
from hanoi.cases.models import SYSTEM, CaseRequest
from hanoi.cases.timeline import record_audit, record_event
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.evidence.custody import CustodyEvent, add_event
from hanoi.evidence.errors import BlobDamaged, EvidenceError
from hanoi.evidence.models import Direction, EvidencePackage, PackageStatus
from hanoi.evidence.package import PackageError
from hanoi.evidence.service import directory_keys, keys_at_receipt
from hanoi.evidence.transfer import (
    Expected,
    PayloadRejected,
    TransferFailed,
    TransferRefused,
    UploadClosed,
    UploadNotFound,
    push_payload,
)
from hanoi.exchange.delivery import retry_delay
from hanoi.exchange.errors import ExchangeError
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import DeliveryState, OutboxMessage

#: How long a push holds a package before another worker may take it over; renewed after
#: every piece uploaded, so only a worker that died (or hangs) loses it.
PUSH_LEASE = timedelta(minutes=5)
#: Failed rounds (with backoff up to 5 minutes) before a package is given up.
MAX_PUSH_ATTEMPTS = 30
#: Statuses in which the receiver still answers the offer's token: a sender whose last
#: answer was lost learns that everything arrived.
_UPLOADABLE = (
    PackageStatus.TRANSFERRING.value,
    PackageStatus.LANDED.value,
    PackageStatus.DELIVERED.value,
)

log = logging.getLogger(__name__)


# --- sending --------------------------------------------------------------------------------


def push_due(
    db: Database, node: LocalNode, client: httpx.Client, *, now: datetime | None = None
) -> list[str]:
    """Upload the payloads of each package whose offer was received, one package at a
    time; returns the ids of the packages now fully sent."""
    sent = []
    while (package_id := _claim_push(db, now or utcnow())) is not None:
        if _push_one(db, node, client, package_id):
            sent.append(package_id)
    return sent


def _claim_push(db: Database, now: datetime) -> str | None:
    """Lease the next due package (compare-and-set on its due time), or None."""
    with db.session() as session:
        for package_id, due in session.execute(
            select(EvidencePackage.id, EvidencePackage.next_attempt_at)
            .where(
                EvidencePackage.direction == Direction.OUTGOING.value,
                EvidencePackage.status == PackageStatus.TRANSFERRING.value,
                EvidencePackage.next_attempt_at <= now,
            )
            .order_by(EvidencePackage.next_attempt_at)
            .limit(10)
        ):
            taken = session.execute(
                update(EvidencePackage)
                .where(EvidencePackage.id == package_id, EvidencePackage.next_attempt_at == due)
                .values(next_attempt_at=now + PUSH_LEASE)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return str(package_id)
    return None


def _push_one(db: Database, node: LocalNode, client: httpx.Client, package_id: str) -> bool:
    files = NodeFiles(node.home)
    with db.session() as session:
        row = session.get(EvidencePackage, package_id)
        assert row is not None and row.upload_token is not None
        manifest, token, state = row.manifest, row.upload_token, row.peer_state
    before = 0
    try:
        base = node.peers.peer(state).url.rstrip("/") + f"/federation/v1/evidence/{package_id}"
        for entry in manifest.files:

            def progress(offset: int, before: int = before) -> None:
                _set_progress(db, package_id, before + offset)

            source = files.blobs.path(entry.ciphertext_sha256)
            try:
                push_payload(
                    client,
                    f"{base}/{entry.index}",
                    token,
                    source,
                    entry.ciphertext_size,
                    progress=progress,
                )
            except PayloadRejected:
                files.blobs.verify(entry.ciphertext_sha256)  # BlobDamaged: no use resending
                raise
            before += entry.ciphertext_size
    except (TransferRefused, BlobDamaged) as exc:
        _push_ended(db, package_id, PackageStatus.FAILED, str(exc))
        return False
    except (TransferFailed, EvidenceError, ExchangeError, OSError) as exc:
        _push_retry(db, package_id, str(exc))
        return False
    return _push_ended(db, package_id, PackageStatus.SENT, None)


def _transferring(package_id: str) -> ColumnElement[bool]:
    return and_(
        EvidencePackage.id == package_id,
        EvidencePackage.status == PackageStatus.TRANSFERRING.value,
    )


def _set_progress(db: Database, package_id: str, done: int) -> None:
    now = utcnow()
    with db.session() as session:
        session.execute(
            update(EvidencePackage)
            .where(_transferring(package_id))
            .values(bytes_done=done, updated_at=now, next_attempt_at=now + PUSH_LEASE)
        )


def _push_retry(db: Database, package_id: str, error: str) -> None:
    with db.session() as session:
        row = session.get(EvidencePackage, package_id, with_for_update=True)
        if row is None or row.status != PackageStatus.TRANSFERRING.value:
            return
        row.attempts += 1
        row.last_error = error[:1000]
        row.next_attempt_at = utcnow() + retry_delay(row.attempts)
    if row.attempts >= MAX_PUSH_ATTEMPTS:
        _push_ended(
            db, package_id, PackageStatus.FAILED, f"gave up after {row.attempts} tries: {error}"
        )


def _push_ended(db: Database, package_id: str, status: PackageStatus, error: str | None) -> bool:
    """Record the end of the uploads, unless a receipt got there first. True if sent."""
    now = utcnow()
    with db.session() as session:
        values: dict[str, object] = {"status": status.value, "last_error": error, "updated_at": now}
        if status == PackageStatus.SENT:
            values["bytes_done"] = EvidencePackage.bytes_total
        else:
            values["upload_token"] = None  # no use for it any more
        changed = session.execute(
            update(EvidencePackage).where(_transferring(package_id)).values(**values)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        row = session.get(EvidencePackage, package_id)
        assert row is not None
        case = session.get(CaseRequest, row.request_id)
        assert case is not None
        action = "evidence-uploaded" if status == PackageStatus.SENT else "evidence-failed"
        detail = {"package": package_id} | ({"error": error[:300]} if error else {})
        record_event(session, case, SYSTEM, Side.REQUESTED, action, detail, now)
    return status == PackageStatus.SENT


def fail_refused_offers(db: Database) -> list[str]:
    """Packages whose offer the other node refused (quarantined) fail, with its reason."""
    failed = []
    with db.session() as session:
        rows = session.execute(
            select(EvidencePackage, OutboxMessage.last_error)
            .join(OutboxMessage, OutboxMessage.message_id == EvidencePackage.offer_message_id)
            .where(
                EvidencePackage.direction == Direction.OUTGOING.value,
                EvidencePackage.status == PackageStatus.OFFERED.value,
                OutboxMessage.status == DeliveryState.QUARANTINED.value,
            )
        ).all()
        now = utcnow()
        for row, reason in rows:
            row.status, row.upload_token, row.updated_at = PackageStatus.FAILED.value, None, now
            row.last_error = f"the offer was refused: {reason}"[:1000]
            case = session.get(CaseRequest, row.request_id)
            assert case is not None
            detail = {"package": row.id, "error": str(reason)[:300]}
            record_event(session, case, SYSTEM, Side.REQUESTED, "evidence-failed", detail, now)
            failed.append(row.id)
    return failed


# --- receiving ------------------------------------------------------------------------------


def upload_target(db: Database, package_id: str, index: int, token: str) -> Expected:
    """The payload an upload request may write, if its bearer token is the offer's."""
    with db.session() as session:
        row = session.get(EvidencePackage, package_id)
        if (
            row is None
            or row.direction != Direction.INCOMING.value
            or not hmac.compare_digest(row.upload_token_sha256, token_hash(token))
        ):
            raise UploadNotFound("no such upload")
        if row.status == PackageStatus.FAILED.value:  # the token is the offer's: say why
            raise UploadClosed(f"upload closed: {row.last_error or 'the package failed here'}")
        if row.status not in _UPLOADABLE:
            raise UploadNotFound("no such upload")
        for entry in row.manifest.files:
            if entry.index == index:
                return Expected(package_id, index, entry.ciphertext_size, entry.ciphertext_sha256)
    raise UploadNotFound("no such upload")


def upload_progress(db: Database, node: LocalNode, package_id: str) -> None:
    """Record how much of the package has arrived; once all of it, mark it landed."""
    files = NodeFiles(node.home)
    with db.session() as session:
        row = session.get(EvidencePackage, package_id)
        if row is None or row.status != PackageStatus.TRANSFERRING.value:
            return
        expected = _expected(row)
        held = sum(files.uploads.offset(e, files.blobs) for e in expected)
        landed = all(files.blobs.has(e.sha256) for e in expected)
        session.execute(
            update(EvidencePackage)
            .where(_transferring(package_id))
            .values(
                bytes_done=held,
                updated_at=utcnow(),
                status=PackageStatus.LANDED.value if landed else PackageStatus.TRANSFERRING.value,
            )
        )


def _expected(row: EvidencePackage) -> list[Expected]:
    return [
        Expected(row.id, f.index, f.ciphertext_size, f.ciphertext_sha256)
        for f in row.manifest.files
    ]


def finish_landed(db: Database, node: LocalNode, *, now: datetime | None = None) -> list[str]:
    """Verify every package whose payloads all arrived and answer each with a signed
    receipt; returns the ids of the packages verified. Uploads whose last piece arrived
    but were not completed (the node stopped in between) are completed first."""
    _complete_interrupted(db, node)
    with db.session() as session:
        landed = list(
            session.scalars(
                select(EvidencePackage.id).where(
                    EvidencePackage.direction == Direction.INCOMING.value,
                    EvidencePackage.status == PackageStatus.LANDED.value,
                )
            )
        )
    verified = []
    for package_id in landed:
        try:
            if _finish_one(db, node, package_id, now):
                verified.append(package_id)
        except (EvidenceError, ExchangeError, OSError) as exc:  # e.g. a full disk: later
            log.warning("package %s: verification postponed: %s", package_id, exc)
    return verified


def _complete_interrupted(db: Database, node: LocalNode) -> None:
    files = NodeFiles(node.home)
    with db.session() as session:
        rows = list(
            session.scalars(
                select(EvidencePackage).where(
                    EvidencePackage.direction == Direction.INCOMING.value,
                    EvidencePackage.status == PackageStatus.TRANSFERRING.value,
                )
            )
        )
        waiting = [(row.id, _expected(row)) for row in rows]
    for package_id, expected in waiting:
        if any(files.uploads.finish_if_full(e, files.blobs) for e in expected):
            upload_progress(db, node, package_id)


def _finish_one(db: Database, node: LocalNode, package_id: str, now: datetime | None) -> bool:
    files = NodeFiles(node.home)
    with db.session() as session:
        row = session.get(EvidencePackage, package_id)
        if row is None or row.status != PackageStatus.LANDED.value:
            return False
        session.expunge(row)
    offered = row.created_at - CLOCK_SKEW
    problem = None
    try:  # the folder appears only once it verified: nothing unverified is ever shown
        # The keys must have been valid still when the offer arrived (a revocation learnt
        # since, with an earlier time, counts): the manifest existed by then.
        keys = keys_at_receipt(directory_keys(node.directory, row.peer_state), offered)
        build_folder(files, row, verify=keys)
    except PackageError as exc:
        problem = str(exc)
    now = now or utcnow()
    with db.session() as session:
        row = session.get(EvidencePackage, package_id, with_for_update=True)
        if row is None or row.status != PackageStatus.LANDED.value:
            return False  # another worker finished it meanwhile
        case = session.get(CaseRequest, row.request_id)
        assert case is not None
        if problem is None:
            row.custody = add_event(
                row.custody.encode("utf-8"),
                row.manifest,
                CustodyEvent(
                    kind="receipt",
                    performer=f"{case.requesting_authority}/{SYSTEM}",
                    organization=case.requesting_authority,
                    tool=TOOL,
                    # Never before the sender's transfer step, even if this clock is behind.
                    at=max(now, last_step_time(row.custody)),
                    location=place(node, node.state),
                    description=f"received from {case.requested_authority}, verified",
                ),
            ).decode("utf-8")
            row.status, row.verified, row.delivered_at = PackageStatus.DELIVERED.value, True, now
        else:
            row.status, row.verified, row.last_error = PackageStatus.FAILED.value, False, problem
        row.updated_at = now
        tell_other_node(
            session,
            node,
            case,
            RECEIPT,
            {
                "package_id": package_id,
                "manifest_sha256": row.manifest_sha256,
                "verified": problem is None,
                "problem": problem,
                "custody": row.custody if problem is None else None,
            },
            SYSTEM,
            now,
        )
        action = "evidence-received" if problem is None else "evidence-rejected"
        detail = {"package": package_id} | ({"problem": problem[:300]} if problem else {})
        record_event(session, case, SYSTEM, Side.REQUESTING, action, detail, now)
        record_audit(
            session, SYSTEM, f"evidence.{action.removeprefix('evidence-')}", case, detail, now
        )
        if problem is None:
            write_custody(files.folder(package_id), row.custody)
    files.uploads.discard(package_id)
    return problem is None


def expire_stale_uploads(
    db: Database, node: LocalNode, *, after: timedelta, now: datetime | None = None
) -> list[str]:
    """Give up every incoming package still awaiting payloads on which no byte arrived for
    ``after``; returns their ids.

    Each is marked failed (its reservation of disk space ends with that), on the request's
    timeline (``evidence-expired``) and in the audit log, and the sender is told with a
    signed evidence receipt that it did not verify, saying why; its partial uploads are
    removed while their locks are held, so a piece still being written keeps the package
    alive. A later upload request with the offer's token is refused as closed. Folders of
    partial uploads left behind by packages that ended otherwise are removed too.
    """
    now = now or utcnow()
    files = NodeFiles(node.home)
    with db.session() as session:
        stale = list(
            session.scalars(
                select(EvidencePackage.id).where(
                    EvidencePackage.direction == Direction.INCOMING.value,
                    EvidencePackage.status == PackageStatus.TRANSFERRING.value,
                    EvidencePackage.updated_at < now - after,
                )
            )
        )
    expired = [
        package_id
        for package_id in stale
        if _expire_one(db, node, files, package_id, after=after, now=now)
    ]
    _sweep_uploads(db, files)
    return expired


def _expire_one(
    db: Database,
    node: LocalNode,
    files: NodeFiles,
    package_id: str,
    *,
    after: timedelta,
    now: datetime,
) -> bool:
    hours = int(after.total_seconds() // 3600)
    reason = (
        f"the upload expired: no byte arrived for {hours} hours; seal and deliver the "
        "evidence again"
    )
    with files.uploads.quiet(package_id) as quiet:
        if not quiet:
            return False  # a piece is arriving right now: not stale
        with db.session() as session:
            changed = session.execute(
                update(EvidencePackage)
                .where(_transferring(package_id), EvidencePackage.updated_at < now - after)
                .values(
                    status=PackageStatus.FAILED.value,
                    last_error=reason,
                    updated_at=now,
                )
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return False  # a piece arrived meanwhile, or another worker expired it
            row = session.get(EvidencePackage, package_id)
            assert row is not None
            case = session.get(CaseRequest, row.request_id)
            assert case is not None
            held = row.bytes_done
            tell_other_node(
                session,
                node,
                case,
                RECEIPT,
                {
                    "package_id": package_id,
                    "manifest_sha256": row.manifest_sha256,
                    "verified": False,
                    "problem": reason,
                    "custody": None,
                },
                SYSTEM,
                now,
            )
            detail = {
                "package": package_id,
                "error": reason,
                "bytes_discarded": str(held),
            }
            record_event(session, case, SYSTEM, Side.REQUESTING, "evidence-expired", detail, now)
            record_audit(session, SYSTEM, "evidence.expired", case, detail, now)
        files.uploads.discard(package_id)
    log.info("package %s: upload expired, partial uploads removed", package_id)
    return True


def _sweep_uploads(db: Database, files: NodeFiles) -> None:
    """Remove the partial uploads of packages that no longer await any (ended, or unknown
    here); a request that wrote to one while it was being given up may have left some."""
    folders = files.uploads.packages()
    if not folders:
        return
    with db.session() as session:
        awaiting = set(
            session.scalars(
                select(EvidencePackage.id).where(
                    EvidencePackage.id.in_(folders),
                    EvidencePackage.status.in_(
                        (PackageStatus.TRANSFERRING.value, PackageStatus.LANDED.value)
                    ),
                )
            )
        )
    for package_id in folders:
        if package_id in awaiting:
            continue
        with files.uploads.quiet(package_id) as quiet:
            if quiet:
                files.uploads.discard(package_id)


def on_offer_receipt(session: Session, message: OutboxMessage) -> None:
    """The other node holds the offer: the uploads may start."""
    session.execute(
        update(EvidencePackage)
        .where(
            EvidencePackage.offer_message_id == message.message_id,
            EvidencePackage.status == PackageStatus.OFFERED.value,
        )
        .values(status=PackageStatus.TRANSFERRING.value, next_attempt_at=utcnow())
    )

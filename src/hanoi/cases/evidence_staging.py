"""Evidence staged on the node for a request, and sealed and delivered from there: what the
request page and the JSON API offer an officer of the requested State.

The files come from the request's staging folder (:mod:`hanoi.evidence.staging`): dropped
there by an operator, or uploaded from the browser. Every step is under the rules of
sealing itself (:func:`~hanoi.cases.evidence_seal.check_deliverable`): the request is one
this node executes, in execution or executed, the user's authority handles it
(need-to-know, :func:`~hanoi.cases.access.get_request`) and the user may act on requests.
Starting, completing and abandoning an upload, and removing a staged file, are audited; a
piece of an upload is not (the completion says the whole).

:func:`seal_and_deliver` seals the chosen staged files into a work folder under the node's
home (``sealing/``), delivers the package (:func:`~hanoi.cases.evidence.deliver_package`:
the payloads are copied into the blob store) and removes the work folder; then, unless
told otherwise, the staged plaintext files, which should not linger on a server once
sealed. If sealing or delivery fails, the staged files stay and no work folder is left; a
work folder a crash left behind goes with :func:`discard_stale_work` (the evidence worker).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from hanoi.accounts.models import User
from hanoi.cases.access import get_request
from hanoi.cases.evidence import NodeFiles, deliver_package
from hanoi.cases.evidence_seal import (
    EvidenceDeliveryError,
    check_deliverable,
    seal_for_request,
)
from hanoi.cases.models import CaseRequest
from hanoi.cases.timeline import record_audit
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.staging import PendingUpload, StagedFile, StagedNotFound, check_name
from hanoi.evidence.transfer import Upload
from hanoi.exchange.identity import LocalNode
from hanoi.files import locked, private_dir

#: The most files one package takes from the staging folder at once.
MAX_FILES = 1000
#: Where packages are sealed from the staging folder, under the node's home.
WORK = "sealing"
#: Held in the request's staging folder (a hidden name: never listed) while it seals.
SEAL_LOCK = ".sealing.lock"


def _case(db: Database, user: User, reference: str) -> CaseRequest:
    """The request, if this user may stage and deliver evidence for it now."""
    with db.session() as session:
        case = get_request(session, user=user, reference=reference, record_view=False)
        check_deliverable(case, user)
        session.expunge(case)
        return case


def _audit(db: Database, user: User, reference: str, action: str, detail: dict[str, str]) -> None:
    with db.session() as session:
        case = get_request(session, user=user, reference=reference, record_view=False)
        record_audit(session, user.username, action, case, detail, utcnow())


def staged(
    db: Database, node: LocalNode, *, user: User, reference: str
) -> tuple[list[StagedFile], list[PendingUpload]]:
    """The files staged for the request, and the uploads under way."""
    case = _case(db, user, reference)
    area = NodeFiles(node.home).staging
    return area.files(case.reference), area.uploads(case.reference)


def start_upload(
    db: Database, node: LocalNode, *, user: User, reference: str, name: str, size: int
) -> PendingUpload:
    """A browser upload of ``size`` bytes named ``name`` (or the one under way for it)."""
    case = _case(db, user, reference)
    area = NodeFiles(node.home).staging
    under_way = area.find(case.reference, name, size)
    if under_way is not None:
        return under_way
    pending = area.start(case.reference, name, size)
    detail = {"upload": pending.id, "name": pending.name, "bytes": str(pending.size)}
    _audit(db, user, reference, "evidence.upload-started", detail)
    return pending


def upload_state(
    db: Database, node: LocalNode, *, user: User, reference: str, upload_id: str
) -> PendingUpload:
    """Where an upload stands (its offset: where to go on)."""
    case = _case(db, user, reference)
    return NodeFiles(node.home).staging.upload(case.reference, upload_id)


def begin_piece(
    db: Database,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    upload_id: str,
    offset: int,
    length: int,
) -> Upload:
    """The upload's part file, locked for ``length`` bytes at ``offset``; write the body
    into it, then :func:`end_piece` (even if the client went away)."""
    case = _case(db, user, reference)
    return NodeFiles(node.home).staging.begin(case.reference, upload_id, offset, length)


def end_piece(
    db: Database, node: LocalNode, *, user: User, reference: str, upload_id: str, upload: Upload
) -> PendingUpload:
    """Make the piece durable; the last one puts the file in the staging folder."""
    upload.commit()
    area = NodeFiles(node.home).staging
    pending = area.upload(reference, upload_id)
    if pending.complete:
        staged_file = area.complete(reference, upload_id)
        detail = {"upload": upload_id, "name": staged_file.name, "bytes": str(staged_file.size)}
        _audit(db, user, reference, "evidence.staged", detail)
    return pending


def abandon_upload(
    db: Database, node: LocalNode, *, user: User, reference: str, upload_id: str
) -> None:
    """Give up an upload under way; its bytes are removed."""
    case = _case(db, user, reference)
    area = NodeFiles(node.home).staging
    pending = area.upload(case.reference, upload_id)
    area.abandon(case.reference, upload_id)
    detail = {"upload": upload_id, "name": pending.name, "bytes": str(pending.offset)}
    _audit(db, user, reference, "evidence.upload-abandoned", detail)


def remove_staged(db: Database, node: LocalNode, *, user: User, reference: str, name: str) -> None:
    """Remove a staged file."""
    case = _case(db, user, reference)
    area = NodeFiles(node.home).staging
    name = check_name(name)
    size = area.path(case.reference, name).lstat().st_size
    area.remove(case.reference, name)
    _audit(db, user, reference, "evidence.staged-removed", {"name": name, "bytes": str(size)})


def seal_and_deliver(
    db: Database,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    names: Sequence[str],
    remove_staged: bool = True,
    now: datetime | None = None,
) -> EvidencePackage:
    """Seal the staged files ``names`` for the request and offer the package to the State
    that made it; the package row (its payloads leave once the other node has the offer)."""
    case = _case(db, user, reference)
    if not names:
        raise EvidenceDeliveryError("choose at least one staged file to seal")
    if len(names) > MAX_FILES:
        raise EvidenceDeliveryError(f"at most {MAX_FILES} files go in one package")
    files = NodeFiles(node.home)
    folder = files.staging.folder(case.reference)
    if not folder.is_dir():
        raise EvidenceDeliveryError(f"nothing is staged for {case.reference}")
    # One sealing per request at a time: a second one (a double click, two officers) waits,
    # then finds the files it chose gone if the first removed them, rather than sending
    # them twice.
    with locked(folder / SEAL_LOCK):
        try:
            sources = [files.staging.path(case.reference, n) for n in dict.fromkeys(names)]
        except StagedNotFound as exc:  # a choice, not a lookup: the form is to be corrected
            raise EvidenceDeliveryError(str(exc)) from None
        work_root = node.home / WORK
        private_dir(work_root)
        work = Path(tempfile.mkdtemp(prefix=f"{case.reference}-", dir=work_root))
        try:
            package = seal_for_request(
                db,
                node,
                user=user,
                reference=case.reference,
                sources=sources,
                out=work / "package",
                now=now,
            )
            row = deliver_package(
                db, node, user=user, reference=case.reference, package=work / "package"
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)  # the blob store keeps the payloads
        if remove_staged:
            for source in sources:
                source.unlink(missing_ok=True)
            detail = {"package": package.package_id, "files": str(len(sources))}
            _audit(db, user, reference, "evidence.staged-removed", detail)
    return row


def discard_stale_work(home: Path, *, after: float, now: float | None = None) -> list[str]:
    """Remove the work folders of sealings a crash cut short: nothing in them touched for
    ``after`` seconds (a sealing under way writes its payloads all along). Their names."""
    now = time.time() if now is None else now
    gone = []
    try:
        folders = [p for p in (home / WORK).iterdir() if p.is_dir() and not p.is_symlink()]
    except FileNotFoundError:
        return []
    for folder in folders:
        try:
            touched = max(
                [folder.lstat().st_mtime] + [p.lstat().st_mtime for p in folder.rglob("*")]
            )
        except OSError:
            continue
        if now - touched >= after:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder.name)
    return gone

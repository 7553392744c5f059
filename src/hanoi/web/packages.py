"""Evidence packages as the web shows them, to the pages and the JSON API alike: each
package's files and hashes, transfer progress and verification state, and the encrypted
package as one tar for court.

Need-to-know as for the request itself (:func:`hanoi.cases.evidence.package_for`); the
download is the package folder exactly as this node verified it, one tar streamed from disk,
and each download is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.models import User
from hanoi.cases.evidence import (
    NodeFiles,
    package_folder,
    package_for,
    packages_of,
    write_proofs,
)
from hanoi.cases.models import CaseRequest
from hanoi.evidence.archive import package_archive
from hanoi.evidence.manifest import Manifest
from hanoi.evidence.models import Direction, EvidencePackage, PackageStatus
from hanoi.web.deps import NodeServices
from hanoi.web.i18n import N_, Wording, wording

# What the pages say of a package's state (translated where shown; the API says it in English).
_STATUS_TEXT = {
    PackageStatus.OFFERED: N_("Offer queued for the other node"),
    PackageStatus.TRANSFERRING: N_("Transferring"),
    PackageStatus.LANDED: N_("Arrived, being verified"),
    PackageStatus.SENT: N_("Uploaded, awaiting the receiver's signed receipt"),
    PackageStatus.DELIVERED: N_("Delivered"),
    PackageStatus.FAILED: N_("Failed"),
}


@dataclass(frozen=True)
class PackageView:
    id: str
    outgoing: bool
    peer_state: str
    status: str
    status_text: str
    """A message id (``{{ view.status_text | t }}``)."""
    verification: Wording
    """Shown with ``| t``; ``str()`` in English for the API."""
    bytes_done: int
    bytes_total: int
    manifest: Manifest
    last_error: str | None
    downloadable: bool
    openable: bool
    """Each file may be downloaded decrypted: a package this node received and verified."""

    @property
    def percent(self) -> int:
        return 100 if not self.bytes_total else self.bytes_done * 100 // self.bytes_total


def package_views(session: Session, case: CaseRequest, node_home: Any) -> list[PackageView]:
    """What the request page shows of each package (``node_home`` is None without a node)."""
    return [_view(row, node_home) for row in packages_of(session, case)]


def _view(row: EvidencePackage, node_home: Any) -> PackageView:
    outgoing = row.direction == Direction.OUTGOING.value
    on_disk = node_home is not None and NodeFiles(node_home).folder(row.id).is_dir()
    delivered = row.status == PackageStatus.DELIVERED.value
    return PackageView(
        id=row.id,
        outgoing=outgoing,
        peer_state=row.peer_state,
        status=row.status,
        status_text=_STATUS_TEXT[PackageStatus(row.status)],
        verification=_verification(row, outgoing),
        bytes_done=row.bytes_done,
        bytes_total=row.bytes_total,
        manifest=row.manifest,
        last_error=row.last_error,
        # A received package only once it verified; what this node sent, always.
        downloadable=on_disk and (outgoing or delivered),
        openable=on_disk and not outgoing and delivered,
    )


def _verification(row: EvidencePackage, outgoing: bool) -> Wording:
    if row.verified is None:
        return Wording(N_("not verified yet"))
    if not row.verified:
        return Wording(N_("DID NOT VERIFY"))
    if outgoing:
        return wording(
            "verified by %(state)s on receipt (signed receipt stored)", state=row.peer_state
        )
    return Wording(N_("verified here: signature, every ciphertext hash and the custody graph"))


def package_tar(
    services: NodeServices,
    user: User,
    reference: str,
    package_id: str,
    remote_addr: str | None,
) -> Response:
    """The encrypted package as one tar, with its proofs: what a court or an expert
    receives; 404 where this node keeps no folder for it."""
    db, node = services.db, services.node
    with db.session() as session:
        row = package_for(session, user=user, reference=reference, package_id=package_id)
        folder = package_folder(node.home, row) if node is not None else None
        if folder is None:
            return Response(status_code=404)
        write_proofs(db, folder, row, quorum=services.settings.ledger_quorum)
        archive = package_archive(folder, name=f"{reference}-{package_id}")
        audit.record(
            session,
            actor=user.username,
            action="evidence.downloaded",
            target_type="request",
            target_id=reference,
            detail={"package": package_id, "bytes": str(archive.size)},
            remote_addr=remote_addr,
        )
    return StreamingResponse(
        archive.chunks(),
        media_type="application/x-tar",
        headers={
            "Content-Length": str(archive.size),
            "Content-Disposition": f'attachment; filename="{reference}-{package_id}.tar"',
            "Cache-Control": "no-store",
        },
    )


# --- as JSON (the API's evidence routes; the request page's live progress) ------------------


def package_json(view: PackageView) -> dict[str, Any]:
    """A package as the JSON API shows it: files with both hashes, transfer progress and
    verification."""
    return {
        "id": view.id,
        "direction": "outgoing" if view.outgoing else "incoming",
        "peer_state": view.peer_state,
        "status": view.status,
        "verification": str(view.verification),
        "bytes_done": view.bytes_done,
        "bytes_total": view.bytes_total,
        "last_error": view.last_error,
        "downloadable": view.downloadable,
        "openable": view.openable,
        "files": [
            {
                "index": f.index,
                "name": f.name,
                "size": f.size,
                "sha256": f.sha256,
                "ciphertext_sha256": f.ciphertext_sha256,
            }
            for f in view.manifest.files
        ],
    }


#: A package in one of these states is still moving: the request page keeps polling.
IN_TRANSIT = frozenset(
    {PackageStatus.OFFERED, PackageStatus.TRANSFERRING, PackageStatus.LANDED, PackageStatus.SENT}
)


def in_transit(views: list[PackageView]) -> bool:
    return any(PackageStatus(v.status) in IN_TRANSIT for v in views)

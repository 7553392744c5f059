"""Sealing evidence for a request: which request, whether this officer may, for whom.

Kept apart from :mod:`hanoi.cases.evidence` so that a process that only seals (``hanoi
evidence seal --request``) does not import what delivery needs: the blob store, the upload
area, package archives and the ledger's proof and witness machinery (with its HTTP client).
Sealing a large file keeps its buffers on top of whatever the process imported, so every
module left out here lowers the peak memory of the sealing process.

:mod:`hanoi.cases.evidence` imports :func:`seal_for_request`, :func:`check_deliverable` and
:class:`EvidenceDeliveryError` from here, so both paths apply one rule and raise one error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hanoi.accounts.permissions import Permission
from hanoi.cases.access import get_request, require
from hanoi.cases.errors import CasesError
from hanoi.cases.status import Side, Status
from hanoi.cases.timeline import record_audit, record_event
from hanoi.db.base import utcnow
from hanoi.errors import InvalidInput
from hanoi.evidence.manifest import Manifest, Sealer
from hanoi.evidence.package import seal_package
from hanoi.evidence.service import recipient_for

if TYPE_CHECKING:  # annotations only: a caller that has these objects has imported them
    from hanoi.accounts.models import User
    from hanoi.cases.models import CaseRequest
    from hanoi.db import Database
    from hanoi.exchange.identity import LocalNode

#: Requests whose evidence may go out: being executed, or executed (wholly or in part).
DELIVERABLE = frozenset({Status.IN_EXECUTION, Status.EXECUTED, Status.PARTIALLY_EXECUTED})


class EvidenceDeliveryError(CasesError, InvalidInput):
    """A package that cannot be delivered or opened for this request: says why."""

    title = "Evidence not possible"


def seal_for_request(
    db: Database,
    node: LocalNode,
    *,
    user: User,
    reference: str,
    sources: Sequence[Path],
    out: Path,
    now: datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Manifest:
    """Seal ``sources`` as evidence for request ``reference``, into the new package folder
    ``out``: for the authority that made the request, signed by this node."""
    now = now or utcnow()
    with db.session() as session:
        case = get_request(session, user=user, reference=reference, record_view=False)
        check_deliverable(case, user)
        target = f"{case.requesting_state}/{case.requesting_authority}"
        authority = case.requested_authority
    manifest = seal_package(
        sources,
        out=out,
        recipient=recipient_for(node.directory, target, now=now),
        sealer=Sealer(
            state=node.state,
            authority=authority,
            officer=user.username,
            node_kid=node.signing_key.kid,
        ),
        signing_key=node.signing_key,
        request=reference,
        now=now,
        progress=progress,
    )
    with db.session() as session:
        case = get_request(session, user=user, reference=reference, record_view=False)
        detail = package_summary(manifest)
        record_event(session, case, user.username, Side.REQUESTED, "evidence-sealed", detail, now)
        record_audit(session, user.username, "evidence.sealed", case, detail, now)
    return manifest


def check_deliverable(case: CaseRequest, user: User) -> None:
    """The user may deliver evidence, and ``case`` is a request this node executes and
    whose evidence may go out now; else :class:`EvidenceDeliveryError` (or the
    permission error) says why."""
    require(user, Permission.ACT_ON_REQUESTS, "deliver evidence")
    if case.side != Side.REQUESTED.value:
        raise EvidenceDeliveryError(
            f"{case.reference}: evidence goes from the requested State; this node made the request"
        )
    if Status(case.status) not in DELIVERABLE:
        raise EvidenceDeliveryError(
            f"{case.reference} is {case.status}: evidence is delivered while it is in execution "
            "or once executed"
        )


def package_summary(manifest: Manifest) -> dict[str, str]:
    """What the timeline and the audit log record about a package."""
    return {
        "package": manifest.package_id,
        "files": str(len(manifest.files)),
        "bytes": str(sum(f.ciphertext_size for f in manifest.files)),
    }

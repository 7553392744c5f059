"""Uploads into a request's staging folder over HTTP, the same for the JSON API
(``web/api/evidence.py``, with a token) and the request page's script (``web/pages/staging.py``,
with the session and its CSRF token): the offset answered, a piece received.

The protocol is the federation's (tus core, :mod:`hanoi.evidence.transfer`) without its
``Tus-Resumable`` header: ``HEAD`` (or ``GET``) answers ``Upload-Offset`` and
``Upload-Length``; ``PATCH`` with ``Upload-Offset``, ``Content-Length`` and a body of
``application/offset+octet-stream`` appends at that offset and answers ``204`` with the new
offset, or ``409`` with the offset held when the client is behind or ahead. A client cut off
mid-piece keeps what arrived (``408`` with the offset, if it is still listening).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from hanoi.accounts.models import User
from hanoi.cases.evidence import NodeFiles
from hanoi.cases.evidence_seal import check_deliverable
from hanoi.cases.evidence_staging import begin_piece, end_piece
from hanoi.cases.models import CaseRequest
from hanoi.errors import HanoiError
from hanoi.evidence.staging import MAX_CHUNK_BYTES, OffsetConflict, PendingUpload, StagedFile
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE, BadUpload
from hanoi.web.deps import NodeServices
from hanoi.web.errors import ApiError
from hanoi.web.problems import problem
from hanoi.web.streaming import receive_into


def node_of(services: NodeServices) -> Any:
    if services.node is None:
        raise ApiError(503, "No exchange", "this node has no identity: it delivers no evidence")
    return services.node


def offset_answer(pending: PendingUpload, status: int = 200) -> Response:
    return Response(
        status_code=status,
        headers={
            "Upload-Offset": str(pending.offset),
            "Upload-Length": str(pending.size),
            "Cache-Control": "no-store",
        },
    )


def conflict_answer(exc: OffsetConflict) -> Response:
    """409 with the offset to go on from, as a header and in the detail."""
    answer = problem(409, exc.title, str(exc))
    answer.headers["Upload-Offset"] = str(exc.offset)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _number(request: Request, name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isdigit() or len(value) > 15:
        raise BadUpload(f"{name}: a whole number of bytes expected")
    return int(value)


async def receive_piece(
    request: Request, services: NodeServices, user: User, reference: str, upload_id: str
) -> Response:
    """One ``PATCH``: the body appended at ``Upload-Offset``, streamed to disk."""
    if request.headers.get("content-type") != CHUNK_CONTENT_TYPE:
        raise BadUpload(f"Content-Type: {CHUNK_CONTENT_TYPE} expected")
    offset = _number(request, "upload-offset")
    length = _number(request, "content-length")
    db, node = services.db, node_of(services)
    try:
        upload = await run_in_threadpool(
            lambda: begin_piece(
                db,
                node,
                user=user,
                reference=reference,
                upload_id=upload_id,
                offset=offset,
                length=length,
            )
        )
    except OffsetConflict as exc:
        return conflict_answer(exc)
    cut_off = True
    try:
        cut_off = not await receive_into(request, upload)
    finally:
        pending = await run_in_threadpool(
            lambda: end_piece(
                db, node, user=user, reference=reference, upload_id=upload_id, upload=upload
            )
        )
    return offset_answer(pending, 408 if cut_off else 204)


def staged_json(files: list[StagedFile], uploads: list[PendingUpload]) -> dict[str, Any]:
    return {
        "files": [{"name": f.name, "size": f.size} for f in files],
        "uploads": [upload_json(u) for u in uploads],
    }


def upload_json(pending: PendingUpload) -> dict[str, Any]:
    return {"id": pending.id, "name": pending.name, "size": pending.size, "offset": pending.offset}


# --- the request page's "Deliver evidence" form (web/pages/staging.py) -----------------------


@dataclass(frozen=True)
class StagingPanel:
    """What the request page shows an officer who may deliver evidence for it."""

    files: list[StagedFile]
    uploads: list[PendingUpload]
    folder: Path
    recipient: str
    piece_bytes: int


#: The piece the page's script sends: small enough to arrive within the server's body
#: timeout (60 s by default) at about 1.2 Mbit/s; the script halves it on a slow link.
PAGE_PIECE_BYTES = 8 * 1024 * 1024


def staging_panel(services: NodeServices, user: User, case: CaseRequest) -> StagingPanel | None:
    """The panel, or None where this user may not deliver evidence for ``case`` now."""
    node = services.node
    if node is None:
        return None
    try:
        check_deliverable(case, user)
    except HanoiError:
        return None
    area = NodeFiles(node.home).staging
    return StagingPanel(
        files=area.files(case.reference),
        uploads=area.uploads(case.reference),
        folder=area.folder(case.reference),
        recipient=f"{case.requesting_authority} ({case.requesting_state})",
        piece_bytes=min(PAGE_PIECE_BYTES, MAX_CHUNK_BYTES),
    )

"""This node as a witness of other States' logs (c2sp.org/tlog-witness).

``POST /ledger/witness/add-checkpoint``: the body is the spec's request (old size,
consistency proof, signed checkpoint), at most
:data:`~hanoi.ledger.witness.MAX_REQUEST_BYTES`. The answer is plain text, as the spec has
it: the cosignature line(s) with 200; on 409 the size this witness holds and a newline, as
``text/x.tlog.size``; otherwise a one-line reason (400 malformed, 403 not signed by the
log's key, 404 unknown log, 413 too large, 422 not consistent). The logs witnessed, and
their keys, come from the verified directory.

The spec fixes these bodies (no problem documents), so they are written here; their
statuses are those :mod:`hanoi.web.problems` gives each refusal's decision.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from hanoi.crypto.note import NoteVerifier
from hanoi.db import Database
from hanoi.exchange.errors import NoDirectory
from hanoi.exchange.identity import LocalNode
from hanoi.ledger.keys import NodeLogKeys
from hanoi.ledger.witness import (
    MAX_REQUEST_BYTES,
    SIZE_CONTENT_TYPE,
    OldSizeMismatch,
    WitnessError,
)
from hanoi.ledger.witnessing import ADD_CHECKPOINT_PATH, known_logs, witness_add_checkpoint
from hanoi.web.deps import Db, ThisNode, client_address
from hanoi.web.problems import answer_for

# Out of the OpenAPI document, as the tlog-tiles routes: the spec, not a JSON schema,
# defines these plain-text bodies.
router = APIRouter(include_in_schema=False)

_TEXT = "text/plain; charset=utf-8"


def _logs_of(node: LocalNode) -> dict[str, list[NoteVerifier]]:
    try:
        entries = node.peers.entries()
    except NoDirectory:
        return {}
    return known_logs(entries, node.state)


def _answer(db: Database, node: LocalNode, body: bytes, remote_addr: str | None) -> bytes:
    signer = NodeLogKeys(node.state, node.signing_key.key).witness_signer()
    return witness_add_checkpoint(db, signer, _logs_of(node), body, remote_addr=remote_addr)


def _status(exc: WitnessError) -> int:
    answer = answer_for(exc)
    assert answer is not None, exc  # every refusal of a witness is one the table answers
    return answer.status


def _text(status: int, message: str) -> Response:
    line = " ".join(message.split())[:500] + "\n"
    return Response(line.encode("utf-8"), status_code=status, media_type=_TEXT)


@router.post(ADD_CHECKPOINT_PATH)
async def add_checkpoint(request: Request, db: Db, node: ThisNode) -> Response:
    """Cosign another State's checkpoint, if it follows the one held for its log."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            return _text(413, f"an add-checkpoint request holds at most {MAX_REQUEST_BYTES} bytes")
    remote_addr = client_address(request)
    try:
        cosignature = await run_in_threadpool(_answer, db, node, bytes(body), remote_addr)
    except OldSizeMismatch as exc:
        return Response(exc.response_body(), _status(exc), media_type=SIZE_CONTENT_TYPE)
    except WitnessError as exc:
        return _text(_status(exc), str(exc))
    return Response(cosignature, status_code=200, media_type=_TEXT)

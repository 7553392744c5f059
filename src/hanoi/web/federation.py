"""Node-to-node delivery under /federation/v1: the only door other States' nodes knock on.

No session, no cookie: a message proves itself (signature by a key the directory lists for
its sender, encryption to this node's key). The answer to an accepted message is the signed
receipt; a refusal is a problem document whose status tells the sender whether to retry.

Evidence payloads are uploaded beside messages (``/evidence/<package>/<n>``, tus-style
``HEAD`` and ``PATCH``): only with the bearer token that came inside the sender's signed
offer, and each payload is checked against the offer's hash once complete.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hanoi.cases.evidence import NodeFiles
from hanoi.cases.evidence_transfer import upload_progress, upload_target
from hanoi.cases.handlers import message_handler
from hanoi.config import Settings
from hanoi.crypto.envelope import MAX_MESSAGE_BYTES, OversizedMessage
from hanoi.db import Database
from hanoi.evidence.transfer import (
    CHUNK_CONTENT_TYPE,
    TUS_VERSION,
    BadUpload,
    Expected,
    UploadNotFound,
)
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.inbox import audit_refusal, receive
from hanoi.web.deps import Db, NodeSettings, ThisNode, client_address
from hanoi.web.problems import problem_responses
from hanoi.web.streaming import receive_into

router = APIRouter(prefix="/federation/v1", tags=["federation"])


class Delivered(BaseModel):
    message_id: str
    receipt: str
    duplicate: bool


@router.post(
    "/messages",
    response_model=Delivered,
    responses=problem_responses(400, 403, 409, 413, 421, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/jose": {"schema": {"type": "string"}}},
        }
    },
)
async def deliver(request: Request, db: Db, node: ThisNode, settings: NodeSettings) -> Delivered:
    """Take one sealed message (compact JWE) from another State's node."""
    remote_addr = client_address(request)
    interval = settings.audit_refusal_interval
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MESSAGE_BYTES:
            # Cut off before reading the rest: the envelope check would say the same.
            refused = OversizedMessage(f"size: the message exceeds {MAX_MESSAGE_BYTES} bytes")
            await run_in_threadpool(audit_refusal, db, refused, remote_addr, interval=interval)
            raise refused
    received = await run_in_threadpool(
        receive,
        db,
        node,
        bytes(body),
        handler=message_handler(node, evidence_space_limit=settings.evidence_space_limit),
        remote_addr=remote_addr,
        refusal_interval=interval,
    )
    return Delivered(
        message_id=received.message_id, receipt=received.receipt, duplicate=received.duplicate
    )


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise BadUpload("an upload needs the bearer token of its offer")
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise BadUpload(f"Tus-Resumable: {TUS_VERSION} expected")
    return token


def _offset_header(request: Request, name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isdigit() or len(value) > 15:
        raise BadUpload(f"{name}: a whole number of bytes expected")
    return int(value)


async def _authorised(
    request: Request, db: Database, settings: Settings, package_id: str, index: int
) -> Expected:
    """The payload this request may write; a refusal is audited with where it came from
    (offset conflicts are not: they are the normal way a sender resumes)."""
    try:
        return await run_in_threadpool(upload_target, db, package_id, index, _bearer(request))
    except (UploadNotFound, BadUpload) as exc:
        remote_addr = client_address(request)
        interval = settings.audit_refusal_interval
        await run_in_threadpool(
            audit_refusal, db, exc, remote_addr, what="upload", interval=interval
        )
        raise


def _upload_answer(offset: int, expected: Expected, status: int) -> Response:
    return Response(
        status_code=status,
        headers={
            "Upload-Offset": str(offset),
            "Upload-Length": str(expected.size),
            "Tus-Resumable": TUS_VERSION,
            "Cache-Control": "no-store",
        },
    )


@router.head("/evidence/{package_id}/{index}", responses=problem_responses(400, 404, 422))
async def upload_offset(
    request: Request,
    package_id: str,
    index: int,
    db: Db,
    node: ThisNode,
    settings: NodeSettings,
) -> Response:
    """How many bytes of one payload this node holds (``Upload-Offset``)."""
    return await _upload_offset(request, db, node, settings, package_id, index)


@router.patch(
    "/evidence/{package_id}/{index}",
    status_code=204,
    responses=problem_responses(400, 404, 408, 409, 413, 422, 423),
)
async def upload_chunk(
    request: Request,
    package_id: str,
    index: int,
    db: Db,
    node: ThisNode,
    settings: NodeSettings,
) -> Response:
    """Append bytes to one payload at ``Upload-Offset``; answers the new offset."""
    return await _upload_chunk(request, db, node, settings, package_id, index)


async def _upload_offset(
    request: Request,
    db: Database,
    node: LocalNode,
    settings: Settings,
    package_id: str,
    index: int,
) -> Response:
    files = NodeFiles(node.home)
    expected = await _authorised(request, db, settings, package_id, index)
    offset = await run_in_threadpool(files.uploads.offset, expected, files.blobs)
    return _upload_answer(offset, expected, 200)


async def _upload_chunk(
    request: Request,
    db: Database,
    node: LocalNode,
    settings: Settings,
    package_id: str,
    index: int,
) -> Response:
    files = NodeFiles(node.home)
    expected = await _authorised(request, db, settings, package_id, index)
    if request.headers.get("content-type") != CHUNK_CONTENT_TYPE:
        raise BadUpload(f"Content-Type: {CHUNK_CONTENT_TYPE} expected")
    offset = _offset_header(request, "upload-offset")
    length = _offset_header(request, "content-length")
    upload = await run_in_threadpool(files.uploads.begin, expected, offset, length, files.blobs)
    try:
        # A sender that went away or stalled finds what arrived kept: its next HEAD says.
        cut_off = not await receive_into(request, upload)
    finally:
        held = await run_in_threadpool(upload.commit)
    if held == expected.size:
        await run_in_threadpool(files.uploads.complete, expected, files.blobs)
    await run_in_threadpool(upload_progress, db, node, package_id)
    if cut_off:
        return _upload_answer(held, expected, 408)
    return _upload_answer(held, expected, 204)

"""Node-to-node delivery under /federation/v1: the only door other States' nodes knock on.

No session, no cookie: a message proves itself (signature by a key the directory lists for
its sender, encryption to this node's key). The answer to an accepted message is the signed
receipt; a refusal is a problem document whose status tells the sender whether to retry.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hanoi.cases.requests import apply_message
from hanoi.crypto.envelope import MAX_MESSAGE_BYTES, OversizedMessage
from hanoi.exchange.inbox import audit_refusal, receive
from hanoi.web.problems import problem_responses

router = APIRouter(prefix="/federation/v1", tags=["federation"])


class Delivered(BaseModel):
    message_id: str
    receipt: str
    duplicate: bool


@router.post(
    "/messages",
    response_model=Delivered,
    responses=problem_responses(400, 403, 409, 413, 421, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/jose": {"schema": {"type": "string"}}},
        }
    },
)
async def deliver(request: Request) -> Delivered:
    """Take one sealed message (compact JWE) from another State's node."""
    node = request.app.state.node
    remote_addr = request.client.host if request.client else None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MESSAGE_BYTES:
            # Cut off before reading the rest: the envelope check would say the same.
            refused = OversizedMessage(f"size: the message exceeds {MAX_MESSAGE_BYTES} bytes")
            await run_in_threadpool(audit_refusal, request.app.state.db, refused, remote_addr)
            raise refused
    received = await run_in_threadpool(
        receive,
        request.app.state.db,
        node,
        bytes(body),
        handler=apply_message,
        remote_addr=remote_addr,
    )
    return Delivered(
        message_id=received.message_id, receipt=received.receipt, duplicate=received.duplicate
    )

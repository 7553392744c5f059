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
from hanoi.crypto.envelope import MAX_MESSAGE_BYTES
from hanoi.exchange.inbox import receive
from hanoi.web.errors import ApiError
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
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MESSAGE_BYTES:
            raise ApiError(413, "Message too large", f"the limit is {MAX_MESSAGE_BYTES} bytes")
    received = await run_in_threadpool(
        receive,
        request.app.state.db,
        node,
        bytes(body),
        handler=apply_message,
        remote_addr=request.client.host if request.client else None,
    )
    return Delivered(
        message_id=received.message_id, receipt=received.receipt, duplicate=received.duplicate
    )

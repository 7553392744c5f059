"""A request body copied to disk as it arrives, in constant memory: the federation's
evidence uploads (``web/federation.py``) and officers' uploads into a request's staging
folder (``web/api/evidence.py``, ``web/pages/staging.py``) alike.
"""

from __future__ import annotations

import anyio
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from hanoi.evidence.transfer import Upload

#: A sender silent this long mid-piece is cut off, so it cannot hold the file's lock.
READ_TIMEOUT = 60.0
#: Bytes gathered before each write to disk (done in a worker thread, off the event loop).
WRITE_BATCH = 1024 * 1024
#: At most this many pieces per write (one writev; the system allows 1024).
WRITE_PIECES = 256


async def receive_into(request: Request, upload: Upload) -> bool:
    """Copy the body into ``upload``; False if the sender stalled or went away (what came
    is kept: the bytes received are the bytes held)."""
    batch: list[bytes] = []
    batched = 0
    try:
        # One cancel scope whose deadline moves on with every chunk: cheaper than a timer
        # per chunk, and a sender silent for READ_TIMEOUT is cut off all the same.
        with anyio.CancelScope(deadline=anyio.current_time() + READ_TIMEOUT) as scope:
            async for chunk in request.stream():
                scope.deadline = anyio.current_time() + READ_TIMEOUT
                batch.append(chunk)
                batched += len(chunk)
                if batched >= WRITE_BATCH or len(batch) >= WRITE_PIECES:
                    await run_in_threadpool(upload.write, batch)
                    batch, batched = [], 0
    except ClientDisconnect:
        await run_in_threadpool(upload.write, batch)  # what came is kept
        return False
    await run_in_threadpool(upload.write, batch)
    return not scope.cancelled_caught

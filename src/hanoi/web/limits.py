"""A hard bound on request bodies, applied before any handler reads them.

Handlers bound what they parse (1 MiB documents, forms without files); this middleware stops
a client from streaming more than that into the node in the first place.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanoi.web.problems import problem

#: Room for a 1 MiB document sent as a URL-encoded form, where bytes may triple.
MAX_BODY_BYTES = 4 << 20


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                # Declared too large: answer at once, before anything reads the body.
                detail = f"request bodies are limited to {self.max_bytes:,} bytes"
                if scope["path"].startswith("/api/"):
                    await problem(413, "Request too large", detail)(scope, receive, send)
                else:
                    await PlainTextResponse(detail, status_code=413)(scope, receive, send)
                return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, bounded, send)

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"request bodies are limited to {self.max_bytes:,} bytes")

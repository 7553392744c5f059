"""The node's HTTP server: uvicorn with the guards a public listener needs.

uvicorn bounds an idle kept-alive connection (``timeout_keep_alive``), the size of a request
line and headers (h11's ``max_incomplete_event_size``) and, once headers are in, the number
of requests running (``limit_concurrency``). It has no deadline for the request itself: a
client that opens a connection and sends nothing, or half a header line, or a body one byte
at a time, is held for as long as it likes, and enough of them hold every socket and worker.
:class:`GuardedH11Protocol` adds what is missing, on the same h11 parser:

- the request line and headers must all arrive within ``header_timeout`` seconds, counted
  from the connection's opening or, on a kept-alive connection, from the next request's
  first byte; otherwise the client gets ``408`` and the connection is closed;
- the body must all arrive within ``body_timeout`` seconds of the headers' end; otherwise
  the connection is closed (the handler sees the client gone);
- at most ``max_connections`` connections are open at once: one more is answered ``503``
  with ``Retry-After`` and closed at once, before anything of it is read.

Client addresses (sign-in throttling, the audit log) come from ``X-Forwarded-For`` only when
the peer is one of the proxies the operator named (``HANOI_FORWARDED_ALLOW_IPS``); by
default from the socket alone.

docs/operations.md says what the reverse proxy in front must do as well.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from hanoi.config import HttpLimits, Settings


def _fixed_answer(status: bytes, body: bytes, *headers: bytes) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, written without h11: it is sent
    before any request was read, or instead of the one that never arrived."""
    head = [b"HTTP/1.1 " + status, b"Content-Type: text/plain; charset=utf-8", *headers]
    head += [b"Connection: close", b"Content-Length: %d" % len(body)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


#: To a connection beyond the cap.
_BUSY = _fixed_answer(
    b"503 Service Unavailable", b"Too many connections: retry later.\n", b"Retry-After: 5"
)
#: To a client whose request line and headers did not arrive in time.
_TOO_SLOW = _fixed_answer(b"408 Request Timeout", b"The request did not arrive in time.\n")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, a body deadline and a connection cap.

    The deadlines follow h11's view of the client: while ``their_state`` is IDLE the request
    line and headers are still awaited; SEND_BODY, the body; DONE, nothing. Every timer is
    cancelled when the state moves on or the connection is lost.
    """

    limits: ClassVar[HttpLimits] = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            # Refused before reading: the answer is fixed, and closing frees the slot now.
            transport.write(_BUSY)
            transport.close()
            return
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            # The first byte of a request on a kept-alive connection starts its deadline
            # (uvicorn's keep-alive timer stops at this byte and would never fire again).
            self._arm_header_timer()
        super().data_received(data)
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request may have been parsed just now.
        self._follow_state()

    def _follow_state(self) -> None:
        state = self.conn.their_state
        if state is not h11.IDLE and self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
            if state is h11.SEND_BODY:
                self._body_timer = self.loop.call_later(
                    self.limits.body_timeout, self._body_too_slow
                )
        if state is not h11.SEND_BODY and self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.limits.header_timeout, self._headers_too_slow
            )

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:
            self.transport.write(_TOO_SLOW)  # no response has begun: say why
        self.transport.close()

    def _body_too_slow(self) -> None:
        self._body_timer = None
        if not self.transport.is_closing():
            # A response may have begun: nothing more can be said on this connection.
            self.transport.close()


def guarded_protocol(limits: HttpLimits) -> type[GuardedH11Protocol]:
    """The protocol class uvicorn makes per connection, bound to ``limits``."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


def server_config(
    app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn's configuration for a node: its limits and its trusted proxies."""
    limits = settings.http
    proxies = list(settings.forwarded_allow_ips)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=guarded_protocol(limits),
        timeout_keep_alive=limits.keep_alive,
        h11_max_incomplete_event_size=limits.max_header_bytes,
        # Connections are capped on opening (above); this bounds the requests still running
        # on top of them (a handler that outlives its client counts until it ends). One more
        # than the cap, since uvicorn refuses at ">=" and counts the asking connection too.
        limit_concurrency=limits.max_connections + 1,
        # Client addresses feed throttling and the audit log: never taken from a header
        # unless the operator names the proxy that sets it. An empty list, not None: None
        # would make uvicorn trust loopback (or $FORWARDED_ALLOW_IPS).
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
        server_header=False,
    )

"""A peer's answer is untrusted: whatever JSON it sends back (nested deeper than Python can
recurse, not JSON at all) is no answer, and the sender goes on by the status alone instead
of failing with an error nobody handles. A real HTTP server on loopback plays the peer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from hanoi.evidence.transfer import TUS_VERSION, TransferRefused, push_payload
from hanoi.exchange.transport import HttpTransport

#: Deeper than Python can recurse: json.loads alone raises RecursionError on it.
NESTED = b"[" * 30_000 + b"]" * 30_000  # and within the 64 KiB an answer may hold


@dataclass
class Peer:
    url: str
    status: int = 200
    body: bytes = b"{}"


class _Handler(BaseHTTPRequestHandler):
    peer: Peer

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer(self.peer.status, self.peer.body, {"Content-Type": "application/json"})

    def do_HEAD(self) -> None:  # a tus offset query: nothing received yet
        self._answer(200, b"", {"Upload-Offset": "0", "Tus-Resumable": TUS_VERSION})

    def do_PATCH(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer(self.peer.status, self.peer.body, {"Content-Type": "application/json"})

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet tests


@pytest.fixture
def peer() -> Iterator[Peer]:
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.peer = Peer(url=f"http://127.0.0.1:{server.server_address[1]}/federation/v1/messages")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield handler.peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("status", [200, 422, 500])
def test_a_nested_answer_to_a_message_is_no_answer(peer: Peer, status: int) -> None:
    peer.status, peer.body = status, NESTED
    transport = HttpTransport()
    try:
        answer = transport.post(peer.url, "a.b.c.d.e")
    finally:
        transport.close()
    assert answer.status == status and answer.body is None


def test_a_plain_problem_answer_is_still_read(peer: Peer) -> None:
    peer.status, peer.body = 422, b'{"title": "Message rejected", "detail": "no"}'
    transport = HttpTransport()
    try:
        answer = transport.post(peer.url, "a.b.c.d.e")
    finally:
        transport.close()
    assert answer.status == 422 and answer.body == {"title": "Message rejected", "detail": "no"}


def test_a_nested_refusal_of_an_upload_is_a_refusal(peer: Peer, tmp_path: Path) -> None:
    peer.status, peer.body = 403, b'{"detail": ' + NESTED + b"}"
    source = tmp_path / "payload.age"
    source.write_bytes(b"x" * 10)
    with httpx.Client() as client, pytest.raises(TransferRefused, match="HTTP 403: Forbidden"):
        push_payload(client, peer.url, "token", source, 10)

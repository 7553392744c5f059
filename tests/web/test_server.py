"""The node's HTTP server against slow and numerous clients: a real `hanoi up` process,
reached with raw sockets, its limits set small through the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.serving import free_port

HANOI = Path(sys.executable).parent / "hanoi"
#: How long a test waits for the server to act; the limits under test are far shorter.
GENEROUS = 60.0


@contextmanager
def hanoi_up(tmp_path: Path, **limits: str) -> Iterator[int]:
    """`hanoi up` on a fresh home with these environment settings; yields its port."""
    port = free_port()
    env = os.environ | {"HANOI_HOME": str(tmp_path / "home"), **limits}
    env.pop("HANOI_DATABASE_URL", None)
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [HANOI, "up", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + GENEROUS
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=GENEROUS)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; fails if it keeps the connection open
    past the generous wait (socket.timeout)."""
    received = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return bytes(received)
        if not chunk:
            return bytes(received)
        received += chunk


def get_health(sock: socket.socket) -> bytes:
    """One kept-alive GET on ``sock``: the answer's head and body."""
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: node\r\n\r\n")
    answer = bytearray()
    while b'"ok"}' not in answer:
        chunk = sock.recv(65536)
        assert chunk, bytes(answer)
        answer += chunk
    return bytes(answer)


@pytest.fixture(scope="module")
def slow_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with hanoi_up(
        tmp_path_factory.mktemp("slow"),
        HANOI_HTTP_HEADER_TIMEOUT="1",
        HANOI_HTTP_BODY_TIMEOUT="1",
        HANOI_HTTP_KEEP_ALIVE="1",
    ) as port:
        yield port


def test_a_half_sent_header_is_cut_off(slow_limits: int) -> None:
    with connect(slow_limits) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: node\r\nX-Slow: ")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in answer.lower()


def test_a_silent_connection_is_cut_off(slow_limits: int) -> None:
    with connect(slow_limits) as sock:
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_a_half_sent_header_after_a_kept_alive_request_is_cut_off(slow_limits: int) -> None:
    """uvicorn's keep-alive timer stops at the next request's first byte; the header
    deadline takes over from there."""
    with connect(slow_limits) as sock:
        assert get_health(sock).startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"G")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_a_body_sent_too_slowly_is_cut_off(slow_limits: int) -> None:
    with connect(slow_limits) as sock:
        sock.sendall(
            b"POST /api/v1/requests/check HTTP/1.1\r\nHost: node\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        answer = read_until_closed(sock)
    assert answer == b"", answer  # closed with nothing said: the check never ran


def test_a_prompt_client_is_served(slow_limits: int) -> None:
    with connect(slow_limits) as sock:
        assert get_health(sock).startswith(b"HTTP/1.1 200 ")


def test_connections_beyond_the_cap_are_answered_503(tmp_path: Path) -> None:
    with hanoi_up(
        tmp_path,
        HANOI_HTTP_MAX_CONNECTIONS="3",
        HANOI_HTTP_KEEP_ALIVE="600",
        HANOI_HTTP_HEADER_TIMEOUT="600",
    ) as port:
        held = [connect(port) for _ in range(3)]
        try:
            for sock in held:  # each served once, and kept open
                assert get_health(sock).startswith(b"HTTP/1.1 200 ")
            with connect(port) as extra:
                answer = read_until_closed(extra)
            assert answer.startswith(b"HTTP/1.1 503 "), answer
            assert b"retry-after: 5" in answer.lower()
            held.pop().close()
            # A freed place is taken again (once the server has seen the close).
            deadline = time.monotonic() + GENEROUS
            while True:
                with connect(port) as again:
                    again.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: node\r\n\r\n")
                    first = read_until_first_line(again)
                if first.startswith(b"HTTP/1.1 200 "):
                    break
                assert first.startswith(b"HTTP/1.1 503 "), first
                assert time.monotonic() < deadline, "the freed place was never given again"
                time.sleep(0.1)
        finally:
            for sock in held:
                sock.close()


def read_until_first_line(sock: socket.socket) -> bytes:
    received = bytearray()
    while b"\r\n" not in received:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return bytes(received)

"""Serve the demo federation's nodes from one process, each on its own loopback port."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from hanoi.config import Settings, load_settings
from hanoi.db import Database
from hanoi.demo.federation import DemoFederation, DemoNode
from hanoi.errors import SetupError
from hanoi.runtime import NodeRuntime, node_runtime
from hanoi.web.server import server_config


def free_port_base(count: int = 4) -> int:
    """A port p such that p .. p+count-1 are all free on loopback right now (for a
    federation on loopback: the demo's nodes in tests and benchmarks).

    Chosen at random below the kernel's ephemeral range: a port in that range that is free
    now can be handed to any outgoing connection (a database client, say) before the node
    binds it, and the node would then fail to start."""
    low = min(_ephemeral_low(), 65536) - count
    for _ in range(100):
        base = secrets.choice(range(_LOWEST_PORT, max(low, _LOWEST_PORT + 1)))
        taken: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                taken.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in taken:
                sock.close()
        return base
    raise RuntimeError("no run of free loopback ports")


_LOWEST_PORT = 10000  # above the well-known and most registered services' ports


def _ephemeral_low() -> int:
    """The first port of the kernel's range for outgoing connections (Linux; 32768, its
    usual value, where it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


class DemoServeError(SetupError):
    """A demo node could not start (typically: its port is taken)."""


@dataclass
class ServedNode:
    node: DemoNode
    runtime: NodeRuntime
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.runtime.stop()
        self.runtime.db.dispose()


def serve_node(
    node: DemoNode, *, settings: Settings | None = None, start_timeout: float = 30.0
) -> ServedNode:
    settings = settings or load_settings(node.home)
    runtime = node_runtime(settings, Database(settings.database_url), secure_cookies=False)
    # The node's own server settings: its timeouts, and no X-Forwarded-For believed unless
    # the settings name a proxy (uvicorn alone would believe any loopback peer's).
    server = uvicorn.Server(server_config(runtime.app, settings, host="127.0.0.1", port=node.port))
    thread = threading.Thread(target=server.run, name=f"demo-{node.code}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            runtime.db.dispose()
            raise DemoServeError(f"{node.name}: could not listen on 127.0.0.1:{node.port}")
        time.sleep(0.05)
    runtime.start()
    return ServedNode(node, runtime, server, thread)


def serve_federation(federation: DemoFederation) -> list[ServedNode]:
    """Start the Secretariat's node, then every State's node; stop them all on failure."""
    served: list[ServedNode] = []
    try:
        for node in (federation.secretariat, *federation.nodes.values()):
            served.append(serve_node(node, settings=federation.settings(node)))
    except BaseException:
        stop_all(served)
        raise
    return served


def stop_all(served: list[ServedNode]) -> None:
    for item in reversed(served):
        item.stop()

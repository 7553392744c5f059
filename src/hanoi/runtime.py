"""What runs inside a node's process besides the web app: the exchange with other nodes.

The one place where the exchange (delivery, inbox) is wired to the requests domain (what a
receipt or a timer changes), so ``hanoi up``, the demo and the tests start nodes alike.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from hanoi.cases.evidence_transfer import fail_refused_offers, finish_landed, push_due
from hanoi.cases.handlers import receipt_hook
from hanoi.cases.requests import lapse_due, remind_due
from hanoi.config import Settings
from hanoi.db import Database
from hanoi.directory.client import DirectoryClient
from hanoi.directory.errors import DirectoryError
from hanoi.exchange.delivery import Worker
from hanoi.exchange.identity import LocalNode
from hanoi.node import has_node
from hanoi.web.app import create_app

#: How often preservation periods are checked for lapsing, and reminders recorded.
TIMER_PERIOD = 60.0
#: How often the node fetches the directory again, so peers' new keys and addresses arrive
#: (the Secretariat's timestamp metadata lasts a day).
DIRECTORY_PERIOD = 3600.0

log = logging.getLogger(__name__)


@dataclass
class NodeRuntime:
    app: FastAPI
    db: Database
    node: LocalNode | None
    worker: Worker | None
    evidence: EvidenceWorker | None = None

    def start(self) -> None:
        if self.worker is not None:
            self.worker.start()
        if self.evidence is not None:
            self.evidence.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.evidence is not None:
            self.evidence.stop()


class EvidenceWorker:
    """Moves evidence beside the message worker, so a long upload never holds up the
    messages: sends the payloads of offered packages, verifies the packages that arrived."""

    def __init__(self, db: Database, node: LocalNode, *, idle: float = 1.0) -> None:
        self.db, self.node, self.idle = db, node, idle
        # Uploads of up to 16 MiB per request; a slow link gets minutes, not seconds.
        self.client = httpx.Client(
            timeout=httpx.Timeout(300.0, connect=10.0), follow_redirects=False, trust_env=False
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """One round; True if it did something (so the next round starts at once). Each
        step on its own: a failing one does not hold the others back."""
        steps: tuple[Callable[[], list[str]], ...] = (
            lambda: finish_landed(self.db, self.node),
            lambda: fail_refused_offers(self.db),
            lambda: push_due(self.db, self.node, self.client),
        )
        busy = False
        for step in steps:
            try:
                busy = bool(step()) or busy
            except Exception:  # a database hiccup must not end evidence delivery for good
                log.exception("evidence worker step failed; retrying")
        return busy

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hanoi-evidence", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.run_once():
                self._stop.wait(self.idle)


def make_worker(
    db: Database, node: LocalNode, *, ack_hours_24_7: int | None = None, idle: float = 1.0
) -> Worker:
    """A delivery loop that also lapses preservations whose period has passed and records
    reminders and overdue deadlines on the requests' timelines."""
    last = [0.0]
    refreshed = [time.monotonic() - DIRECTORY_PERIOD]  # at start, then every period

    def tick() -> None:
        if time.monotonic() - refreshed[0] >= DIRECTORY_PERIOD:
            refreshed[0] = time.monotonic()
            _refresh_directory(node)
        if time.monotonic() - last[0] < TIMER_PERIOD:
            return
        last[0] = time.monotonic()
        with db.session() as session:
            lapse_due(session, node)
        with db.session() as session:
            remind_due(session, ack_hours_24_7=ack_hours_24_7)

    return Worker(db, node, on_receipt=receipt_hook(), tick=tick, idle=idle)


def _refresh_directory(node: LocalNode) -> None:
    client = DirectoryClient(node.home)
    if not client.is_pinned:
        return
    try:
        client.refresh()
    except DirectoryError as exc:  # the last good copy stays in use
        log.warning("directory refresh failed: %s", exc)


def node_runtime(
    settings: Settings,
    db: Database,
    *,
    secure_cookies: bool,
    passphrase: str | None = None,
) -> NodeRuntime:
    """The app and, for a node with an identity (``hanoi node init``), its delivery worker.

    A home without ``node.json`` (e.g. the Secretariat's directory server) serves pages and
    the directory only: no keys, so no exchange.
    """
    node = LocalNode.load(settings.home, passphrase) if has_node(settings.home) else None
    worker = (
        make_worker(db, node, ack_hours_24_7=settings.ack_hours_24_7) if node is not None else None
    )
    evidence = EvidenceWorker(db, node) if node is not None else None
    app = create_app(settings, database=db, secure_cookies=secure_cookies, node=node, worker=worker)
    return NodeRuntime(app=app, db=db, node=node, worker=worker, evidence=evidence)

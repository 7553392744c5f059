"""What runs inside a node's process besides the web app: the exchange with other nodes,
and the audit trail's counted refusals written out.

The one place where the exchange (delivery, inbox) is wired to the requests domain (what a
receipt or a timer changes), so ``hanoi up``, the demo and the tests start nodes alike.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
from fastapi import FastAPI

from hanoi.audit import flush_refusals
from hanoi.cases.evidence import NodeFiles
from hanoi.cases.evidence_staging import discard_stale_work
from hanoi.cases.evidence_transfer import (
    expire_stale_uploads,
    fail_refused_offers,
    finish_landed,
    push_due,
)
from hanoi.cases.handlers import receipt_hook
from hanoi.cases.timers import lapse_due, remind_due
from hanoi.config import DEFAULT_EVIDENCE_UPLOAD_EXPIRY_HOURS, ConfigError, Settings
from hanoi.db import Database
from hanoi.directory.client import DirectoryClient
from hanoi.directory.errors import DirectoryError
from hanoi.exchange.delivery import Worker
from hanoi.exchange.identity import LocalNode
from hanoi.ledger.keys import NodeLogKeys
from hanoi.ledger.service import integrate_and_sign
from hanoi.ledger.witnessing import gather_cosignatures
from hanoi.node import has_node
from hanoi.web.app import create_app

#: How often preservation periods are checked for lapsing, and reminders recorded.
TIMER_PERIOD = 60.0
#: How often the node fetches the directory again, so peers' new keys and addresses arrive
#: (the Secretariat's timestamp metadata lasts a day).
DIRECTORY_PERIOD = 3600.0
#: How often incoming evidence uploads are checked for having gone stale.
EXPIRY_PERIOD = 60.0
#: How often refusals counted in windows that have ended are written to the audit trail as
#: summary rows: a flood that stops still has its count audited within this long after its
#: window (``HANOI_AUDIT_REFUSAL_INTERVAL``) ends.
AUDIT_FLUSH_PERIOD = 10.0

log = logging.getLogger(__name__)


@dataclass
class NodeRuntime:
    app: FastAPI
    db: Database
    node: LocalNode | None
    worker: Worker | None
    evidence: StepLoop | None = None
    ledger: StepLoop | None = None
    audit: StepLoop | None = None

    def start(self) -> None:
        for loop in (self.worker, self.evidence, self.ledger, self.audit):
            if loop is not None:
                loop.start()

    def stop(self) -> None:
        for loop in (self.worker, self.evidence, self.ledger, self.audit):
            if loop is not None:
                loop.stop()


Step = Callable[[], object]
"""One piece of background work; a truthy result means it did something."""


class StepLoop:
    """A thread that runs its steps in turn, at once again while any did something, else
    after ``idle`` seconds; each step on its own, so a failing one (a database hiccup, a
    peer down) holds back neither the others nor the next round."""

    def __init__(self, name: str, steps: Sequence[Step], *, idle: float = 1.0) -> None:
        self.name, self.steps, self.idle = name, tuple(steps), idle
        self.closing: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        busy = False
        for step in self.steps:
            try:
                busy = bool(step()) or busy
            except Exception:
                log.exception("%s: a step failed; retrying", self.name)
        return busy

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for close in self.closing:
            close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.run_once():
                self._stop.wait(self.idle)


def audit_loop(db: Database, *, idle: float = AUDIT_FLUSH_PERIOD) -> StepLoop:
    """Every node, with an identity or not (its pages refuse too): write the counts of
    refusal windows that have ended (:func:`hanoi.audit.flush_refusals`)."""
    return StepLoop("hanoi-audit", [lambda: flush_refusals(db)], idle=idle)


def _client(timeout: float) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=10.0), follow_redirects=False, trust_env=False
    )


def evidence_loop(
    db: Database,
    node: LocalNode,
    *,
    upload_expiry: timedelta = timedelta(hours=DEFAULT_EVIDENCE_UPLOAD_EXPIRY_HOURS),
) -> StepLoop:
    """Evidence beside the message worker, so a long upload never holds up the messages:
    verify the packages that arrived, fail refused offers, upload offered payloads, and
    (every :data:`EXPIRY_PERIOD`) give up incoming uploads silent for ``upload_expiry``, and
    officers' unfinished uploads into staging folders as well."""
    client = _client(300.0)  # uploads of up to 16 MiB per request: minutes on a slow link
    last = [time.monotonic() - EXPIRY_PERIOD]  # at start, then every period

    def expire() -> bool:
        if time.monotonic() - last[0] < EXPIRY_PERIOD:
            return False
        last[0] = time.monotonic()
        expire_stale_uploads(db, node, after=upload_expiry)
        # Officers' browser uploads into staging folders left unfinished, likewise.
        NodeFiles(node.home).staging.expire(after=upload_expiry.total_seconds())
        discard_stale_work(node.home, after=upload_expiry.total_seconds())
        return False  # nothing more to do at once

    loop = StepLoop(
        "hanoi-evidence",
        [
            lambda: finish_landed(db, node),
            lambda: fail_refused_offers(db),
            lambda: push_due(db, node, client),
            expire,
        ],
    )
    loop.closing.append(client.close)
    return loop


def ledger_loop(
    db: Database,
    node: LocalNode,
    *,
    quorum: int,
    witnesses: tuple[str, ...] | None = None,
    gather_every: float = 10.0,
) -> StepLoop:
    """The node's log: every event of the last second integrated under a newly signed
    checkpoint, and the witnesses (``witnesses``' States, else every other State's) asked
    to cosign it, again every ``gather_every`` seconds until ``quorum`` have."""
    keys = NodeLogKeys(node.state, node.signing_key.key)
    signer = keys.log_signer()
    client = _client(10.0)
    state = {"reached": True, "last": 0.0}

    def sign() -> bool:
        if integrate_and_sign(db, signer) is not None:
            state["reached"] = False
        return False  # signing never calls for an immediate next round

    def gather() -> bool:
        if state["reached"] or time.monotonic() - state["last"] < gather_every:
            return False
        state["last"] = time.monotonic()
        result = gather_cosignatures(
            db, keys, node.peers, client, quorum=quorum, witnesses=witnesses
        )
        state["reached"] = result.reached
        return False

    loop = StepLoop("hanoi-ledger", [sign, gather])
    loop.closing.append(client.close)
    return loop


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
    if node is not None and node.state in (settings.ledger_witnesses or ()):
        raise ConfigError(
            f"HANOI_LEDGER_WITNESSES names {node.state}, this node's own State: a log is "
            "witnessed by the other States"
        )
    worker = (
        make_worker(db, node, ack_hours_24_7=settings.ack_hours_24_7) if node is not None else None
    )
    evidence = (
        evidence_loop(db, node, upload_expiry=settings.evidence_upload_expiry)
        if node is not None
        else None
    )
    ledger = (
        ledger_loop(db, node, quorum=settings.ledger_quorum, witnesses=settings.ledger_witnesses)
        if node is not None
        else None
    )
    app = create_app(settings, database=db, secure_cookies=secure_cookies, node=node, worker=worker)
    return NodeRuntime(
        app=app,
        db=db,
        node=node,
        worker=worker,
        evidence=evidence,
        ledger=ledger,
        audit=audit_loop(db),
    )

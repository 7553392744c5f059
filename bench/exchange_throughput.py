"""End-to-end exchange between two nodes, against a bare HTTP POST measured in the same run.

Run: .venv/bin/python bench/exchange_throughput.py [--backend sqlite|postgresql|both]
         [--count 1000] [--workers 1,4] [--limit 50] [--rate 50,10] [--seconds 20]
         [--rounds 200] [--one-process] [--profile]

A demo federation (Secretariat, XA, XB, XC, as ``hanoi demo`` builds it) is made in a
temporary folder; on PostgreSQL, XA and XB each get a throwaway database on the server named
by ``HANOI_TEST_PG_ADMIN_URL`` (default postgres@127.0.0.1:5432), dropped at the end.

What is measured is the exchange layer. Messages are queued on XA with
``hanoi.exchange.outbox.enqueue`` (a ``request.submit`` payload as ``send_request`` builds
it, without the sender's request row and document check) and delivered with
``hanoi.exchange.delivery.deliver_due``. Each delivered message was signed and encrypted on
XA, POSTed over loopback HTTP to XB's node (uvicorn + the FastAPI node app), decrypted and
verified there, stored together with the received request it creates (the real
``apply_message`` handler) and its audit event, answered with a signed receipt, and that
receipt verified and stored on XA with its own audit event.

(a) throughput: ``--count`` messages are queued, then ``--workers`` threads loop
    ``deliver_due`` (batches of ``--limit``) until all are delivered; delivered/s is over
    the delivery alone (the queueing rate is a line of its own). The CPU time XA's process,
    XB's process and the PostgreSQL server used meanwhile is shared out per message.
(b) latency: XA's own delivery ``Worker`` runs while messages are queued at each ``--rate``
    per second for ``--seconds``, each followed by ``worker.wake()`` as the web app does; a
    message's latency runs from the start of its ``enqueue`` to the commit of its receipt.
    An offered rate above what (a) measured only shows the queue growing.

The reference is a bare POST: the same client (``HttpTransport``), body size and number of
threads, to a one-route FastAPI app served by uvicorn in the same process as XB's node and
answering a JSON object the size of a receipt answer. It is the floor any delivery over this
HTTP stack pays. Two more lines place the node app itself: ``GET /api/v1/health`` (its
middleware stack, no database) and garbage POSTed to XB's federation endpoint, which is *not*
a bare reference: the refusal is audited, a database write.

By default XB (with the Secretariat, XC and the reference app) runs in a child process and
XA in this one, as two nodes on two machines would; ``--one-process`` serves everything from
this process, as ``hanoi demo`` does. Every run also times each step of a delivery alone, in
one thread, and first checks how much parallel CPU the machine really gives two processes.
``--profile`` adds cProfile summaries of XB's ``receive`` and of XA's delivery loop.
No thresholds: the numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import multiprocessing
import os
import pstats
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Seeding the demo users hashes their passwords, which the exchange never does: cheap
# parameters make building the federation quick and change nothing that is measured.
os.environ.setdefault("HANOI_ARGON2_PROFILE", "test")

import httpx
import uvicorn
from fastapi import FastAPI, Request
from pgdb import throwaway_database
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from hanoi.cases.documents import parse_document_obj
from hanoi.cases.messages import PAYLOAD_FORMAT, SUBMIT
from hanoi.cases.receiving import apply_message, on_receipt
from hanoi.crypto.canonical import canonical_json
from hanoi.crypto.envelope import MessageClaims, Party, new_message_id, open_message, seal_message
from hanoi.crypto.receipts import Receipt, sign_receipt, verify_receipt
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.demo.federation import DemoFederation, build
from hanoi.demo.scenario import example_document
from hanoi.demo.serving import ServedNode, free_port_base, serve_node, stop_all
from hanoi.directory.client import DirectoryClient
from hanoi.exchange.delivery import Worker, deliver_due
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.inbox import receive
from hanoi.exchange.models import DeliveryState, OutboxMessage
from hanoi.exchange.outbox import MESSAGE_LIFETIME, enqueue
from hanoi.exchange.transport import Answer, HttpTransport

SENDER = Party("XA", "XA-247")
RECIPIENT = Party("XB", "XB-247")
REFERENCE_PATH = "/bare"
ANSWER_FILLER = 700  # characters: about a real answer (message id, receipt JWS, duplicate)
DIGEST = "0" * 64


# --- the federation ------------------------------------------------------------------------


def reference_app() -> FastAPI:
    """The bare POST: read the body, answer a JSON object the size of a receipt answer."""
    app = FastAPI()
    filler = "r" * ANSWER_FILLER

    @app.post(REFERENCE_PATH)
    async def bare(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"message_id": str(len(body)), "receipt": filler, "duplicate": False}

    return app


def serve_receiving_side(
    federation: DemoFederation, reference_port: int, ready: Any, stop: Any
) -> None:
    """Serve the Secretariat's, XB's and XC's nodes (as ``hanoi demo`` serves them) and the
    reference app, refresh XB's and XC's directories, set ``ready``, wait for ``stop``."""
    served: list[ServedNode] = []
    server = uvicorn.Server(
        uvicorn.Config(reference_app(), host="127.0.0.1", port=reference_port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="bench-reference", daemon=True)
    try:
        secretariat = federation.secretariat
        served.append(serve_node(secretariat, settings=federation.settings(secretariat)))
        for code in ("XB", "XC"):
            node = federation.nodes[code]
            served.append(serve_node(node, settings=federation.settings(node)))
            DirectoryClient(node.home).refresh()
        thread.start()
        while not server.started:
            time.sleep(0.02)
        ready.set()
        stop.wait()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        stop_all(served)


class ReceivingSide:
    """XB's side of the run: in a child process (default) or in threads of this one."""

    def __init__(self, federation: DemoFederation, reference_port: int, one_process: bool):
        args: tuple[Any, ...]
        if one_process:
            self.ready: Any = threading.Event()
            self.stopping: Any = threading.Event()
            args = (federation, reference_port, self.ready, self.stopping)
            self.runner: Any = threading.Thread(target=serve_receiving_side, args=args)
        else:
            context = multiprocessing.get_context("spawn")
            self.ready = context.Event()
            self.stopping = context.Event()
            args = (federation, reference_port, self.ready, self.stopping)
            self.runner = context.Process(target=serve_receiving_side, args=args)

    def start(self) -> None:
        self.runner.start()
        if not self.ready.wait(120):
            self.stop()
            raise RuntimeError("the receiving side did not start")

    @property
    def pid(self) -> int | None:
        return None if isinstance(self.runner, threading.Thread) else int(self.runner.pid)

    def stop(self) -> None:
        self.stopping.set()
        self.runner.join(30)


class CpuMeter:
    """CPU seconds (user + system, from /proc) used by XA's process, XB's process (when it
    is another one) and every PostgreSQL server process, to share out per message."""

    def __init__(self, receiving_pid: int | None, postgres: bool) -> None:
        if receiving_pid is None:
            self.pids = {"XA+XB": os.getpid()}
        else:
            self.pids = {"XA": os.getpid(), "XB": receiving_pid}
        self.postgres = postgres
        self.tick = os.sysconf("SC_CLK_TCK")

    def _cpu(self, pid: int | str) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.tick

    def snapshot(self) -> dict[str, float]:
        taken = {name: self._cpu(pid) for name, pid in self.pids.items()}
        if self.postgres:
            server = 0.0
            for entry in Path("/proc").iterdir():
                with contextlib.suppress(OSError):
                    if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                        server += self._cpu(entry.name)
            taken["PostgreSQL"] = server
        return taken

    @staticmethod
    def per_message(before: dict[str, float], after: dict[str, float], count: int) -> str:
        used = {name: (after[name] - before[name]) / count * 1000 for name in before}
        parts = [f"{name} {ms:.1f}" for name, ms in used.items()]
        return "CPU ms/msg: " + ", ".join(parts)


# --- messages ------------------------------------------------------------------------------


class Submissions:
    """``request.submit`` payloads as ``send_request`` queues them for the demo preservation
    request (dated today, so XB's checks accept it), each with a reference of its own (the
    federation is new for each run, so numbering from 1 never meets an earlier request)."""

    def __init__(self) -> None:
        document = example_document("preservation", date_of_request=utcnow().date().isoformat())
        self.document = parse_document_obj(document).model_dump(mode="json")
        self.prefix = f"XA-{utcnow().year}"  # references as XA's node makes them
        self.number = 0
        self.lock = threading.Lock()

    def next(self) -> dict[str, Any]:
        with self.lock:
            self.number += 1
            reference = f"{self.prefix}-{self.number:06d}"
        return {
            "format": PAYLOAD_FORMAT,
            "reference": reference,
            "kind": self.document["kind"],
            "urgent": bool(self.document.get("urgent", False)),
            "document": self.document,
            "parent_reference": None,
            "relation": None,
        }


def queue_one(db: Database, node: LocalNode, payload: dict[str, Any]) -> str:
    """Queue one message on XA in a transaction of its own, as a request's sending does."""
    with db.session() as session:
        message = enqueue(
            session,
            node,
            sender=SENDER,
            recipient=RECIPIENT,
            message_type=SUBMIT,
            payload=payload,
            actor="bench",
        )
        return message.message_id


def sealed(node: LocalNode, payload: bytes) -> str:
    """One message from XA to XB, sealed as ``enqueue`` seals it."""
    now = utcnow()
    claims = MessageClaims(
        message_id=new_message_id(),
        message_type=SUBMIT,
        sender=SENDER,
        recipient=RECIPIENT,
        issued_at=now,
        expires_at=now + MESSAGE_LIFETIME,
    )
    peer = node.peers.peer(RECIPIENT.state, now)
    return seal_message(
        payload, claims=claims, signing_key=node.signing_key, recipient_key=peer.encryption_key
    )


def pending(db: Database) -> int:
    with db.session() as session:
        found = session.scalar(
            select(func.count()).where(OutboxMessage.status == DeliveryState.PENDING.value)
        )
    return int(found or 0)


def last_error(db: Database) -> str | None:
    with db.session() as session:
        return session.scalar(
            select(OutboxMessage.last_error)
            .where(OutboxMessage.last_error.is_not(None))
            .order_by(OutboxMessage.seq.desc())
        )


class CountingTransport:
    """``HttpTransport`` counting its POSTs (a message sent twice shows here)."""

    def __init__(self, posts: list[int]) -> None:
        self.inner = HttpTransport()
        self.posts = posts

    def post(self, url: str, token: str) -> Answer:
        self.posts.append(1)
        return self.inner.post(url, token)

    def close(self) -> None:
        self.inner.close()


# --- measurements --------------------------------------------------------------------------


def http_rate(
    url: str,
    body: str | None,
    workers: int,
    count: int,
    meter: CpuMeter | None = None,
    expect: int = 200,
) -> tuple[float, str]:
    """Requests per second to ``url`` from ``workers`` threads (one connection each): POSTs
    of ``body`` through ``HttpTransport`` as deliveries are sent, or GETs if it is None."""
    per_thread = max(1, count // workers)
    barrier = threading.Barrier(workers + 1)
    failures: list[BaseException] = []

    def client() -> None:
        transport = HttpTransport()
        getter = httpx.Client(trust_env=False)

        def once() -> int:
            if body is None:
                return getter.get(url).status_code
            return transport.post(url, body).status

        try:
            once()  # connected before the clock starts
            barrier.wait()
            for _ in range(per_thread):
                status = once()
                if status != expect:
                    raise RuntimeError(f"{url}: HTTP {status}, expected {expect}")
        except BaseException as exc:
            failures.append(exc)
        finally:
            transport.close()
            getter.close()

    threads = [threading.Thread(target=client) for _ in range(workers)]
    for thread in threads:
        thread.start()
    before = meter.snapshot() if meter else {}
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise failures[0]
    total = per_thread * workers
    cpu = CpuMeter.per_message(before, meter.snapshot(), total) if meter else ""
    return total / elapsed, cpu


def bare_post_latency(url: str, body: str, rate: float, count: int) -> list[float]:
    """Seconds each, of single POSTs sent at ``rate`` per second over one connection."""
    transport = HttpTransport()
    transport.post(url, body)
    latencies = []
    start = time.perf_counter()
    for i in range(count):
        _sleep_until(start + i / rate)
        began = time.perf_counter()
        transport.post(url, body)
        latencies.append(time.perf_counter() - began)
    transport.close()
    return latencies


def throughput(
    db: Database,
    node: LocalNode,
    submissions: Submissions,
    count: int,
    workers: int,
    meter: CpuMeter | None = None,
    profile: cProfile.Profile | None = None,
    limit: int = 50,
) -> tuple[float, float, int, str]:
    """Queue ``count`` messages, then deliver them with ``workers`` threads looping
    ``deliver_due`` (the first one under ``profile``, if given).

    Returns (queued per second, delivered per second, POSTs made, CPU used per message)."""
    payloads = [submissions.next() for _ in range(count)]
    start = time.perf_counter()
    for payload in payloads:
        queue_one(db, node, payload)
    queued = count / (time.perf_counter() - start)

    posts: list[int] = []
    delivered: set[str] = set()
    failures: list[BaseException] = []
    barrier = threading.Barrier(workers + 1)

    def loop(profiled: cProfile.Profile | None) -> None:
        transport = CountingTransport(posts)
        barrier.wait()
        if profiled is not None:
            profiled.enable()
        try:
            while True:
                report = deliver_due(db, node, transport, limit=limit, on_receipt=on_receipt)
                delivered.update(report.delivered)
                if report.retrying or report.quarantined:
                    raise RuntimeError(f"not delivered: {last_error(db)}")
                if not report.attempted:
                    if pending(db) == 0:
                        return
                    time.sleep(0.01)  # what is left is leased by other workers
        except BaseException as exc:
            failures.append(exc)
        finally:
            if profiled is not None:
                profiled.disable()
            transport.close()

    threads = [
        threading.Thread(target=loop, args=(profile if i == 0 else None,)) for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    before = meter.snapshot() if meter else {}
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    cpu = CpuMeter.per_message(before, meter.snapshot(), count) if meter else ""
    if failures:
        raise failures[0]
    if len(delivered) != count or pending(db):
        raise RuntimeError(f"{len(delivered)} of {count} messages delivered")
    return queued, count / elapsed, len(posts), cpu


def latency(
    db: Database, node: LocalNode, submissions: Submissions, rate: float, seconds: float
) -> tuple[list[float], float]:
    """Queue at ``rate`` per second for ``seconds`` while XA's delivery ``Worker`` runs.

    Returns each message's seconds from the start of its ``enqueue`` to the commit of its
    receipt, and the rate actually offered."""
    count = max(1, int(rate * seconds))
    payloads = [submissions.next() for _ in range(count)]
    started: dict[str, float] = {}
    stored: dict[str, float] = {}
    done = threading.Event()

    def hook(session: Session, message: OutboxMessage, receipt: Receipt) -> None:
        on_receipt(session, message, receipt)  # the node's own hook, then the clock
        message_id = message.message_id

        def committed(_session: Session) -> None:
            stored[message_id] = time.perf_counter()
            if len(stored) == count:
                done.set()

        event.listen(session, "after_commit", committed, once=True)

    worker = Worker(db, node, on_receipt=hook)
    worker.start()
    try:
        start = time.perf_counter()
        for i, payload in enumerate(payloads):
            _sleep_until(start + i / rate)
            began = time.perf_counter()
            started[queue_one(db, node, payload)] = began
            worker.wake()
        offered = count / (time.perf_counter() - start)
        if not done.wait(max(120.0, count / 5)):  # a saturated run drains its backlog
            raise RuntimeError(f"only {len(stored)} of {count} receipts stored in time")
    finally:
        worker.stop()
    return [stored[m] - started[m] for m in started], offered


def stage_costs(
    sender_db: Database,
    sender: LocalNode,
    receiver_db: Database,
    receiver: LocalNode,
    submissions: Submissions,
    rounds: int,
    profile: cProfile.Profile | None,
) -> list[tuple[str, float]]:
    """Each step of a delivery alone, in this process and thread: microseconds per call.
    XB's ``receive`` runs on XB's database directly, without HTTP."""
    results: list[tuple[str, float]] = []

    def timed(name: str, work: Callable[[], object], profiled: bool = False) -> None:
        work()
        if profiled and profile is not None:
            profile.enable()
        start = time.perf_counter()
        for _ in range(rounds):
            work()
        elapsed = time.perf_counter() - start
        if profiled and profile is not None:
            profile.disable()
        results.append((name, elapsed / rounds * 1e6))

    payload = canonical_json(submissions.next())
    token = sealed(sender, payload)
    fresh = iter([sealed(sender, canonical_json(submissions.next())) for _ in range(rounds + 1)])
    receiver_keys = receiver.peers.signer_keys()
    sender_keys = sender.peers.signer_keys()

    def receipt() -> str:
        return sign_receipt(
            message_id=new_message_id(),
            message_digest=DIGEST,
            received_at=utcnow(),
            receiver=RECIPIENT,
            signing_key=receiver.signing_key,
        )

    one_receipt = receipt()
    timed("XA peers.peer (directory lookup)", lambda: sender.peers.peer("XB"))
    timed("XA seal_message (sign + encrypt)", lambda: sealed(sender, payload))
    timed(
        "XA enqueue (seal, insert, audit: 1 tx)",
        lambda: queue_one(sender_db, sender, submissions.next()),
    )
    transport = HttpTransport()
    while pending(sender_db):  # deliver what was just queued, untimed
        deliver_due(sender_db, sender, transport, on_receipt=on_receipt)
    transport.close()
    timed(
        "XB open_message (decrypt + verify)",
        lambda: open_message(
            token,
            decryption_keys=receiver.decryption_keys,
            verification_keys=receiver_keys,
            expected_recipient="XB",
            now=utcnow(),
            seen=lambda _id: False,
        ),
    )
    timed("XB sign_receipt", receipt)
    timed(
        "XB inbox.receive (all of the above + store, apply, audit: 1 tx)",
        lambda: receive(receiver_db, receiver, next(fresh).encode("ascii"), handler=apply_message),
        profiled=True,
    )
    timed(
        "XA verify_receipt",
        lambda: verify_receipt(
            one_receipt,
            verification_keys=sender_keys,
            expected_message_digest=DIGEST,
            expected_receiver=RECIPIENT,
            now=utcnow(),
        ),
    )
    timed(
        "XA peers.signer_keys() lookup, one call",
        lambda: sender_keys("XB", receiver.signing_key.kid, utcnow()),
    )
    return results


def _spin(rounds: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(rounds):
        total += i * i
    return time.perf_counter() - start


def parallel_speedup(rounds: int = 5_000_000) -> float:
    """How much more CPU-bound work two processes get done at once than one alone (2.0 on
    two free cores): what this machine really offers two nodes and a database server."""
    alone = min(_spin(rounds) for _ in range(2))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [1000, 1000])
        together = max(pool.map(_spin, [rounds, rounds]))
    return 2 * alone / together


def _sleep_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


# --- the run -------------------------------------------------------------------------------


@dataclass
class Rate:
    name: str
    workers: int
    per_second: float
    reference: float
    note: str = ""


@dataclass
class Latency:
    name: str
    p50: float
    p99: float
    maximum: float
    reference_p50: float
    reference_p99: float
    note: str = ""


@dataclass
class Run:
    backend: str
    rates: list[Rate] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    stages: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)


def run_backend(backend: str, args: argparse.Namespace) -> Run:
    run = Run(backend)
    with (
        tempfile.TemporaryDirectory(prefix="hanoi-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        urls: dict[str, str] = {}
        if backend == "postgresql":
            # The two nodes that exchange; XC takes no part and keeps its SQLite file.
            urls = {code: stack.enter_context(throwaway_database()) for code in ("XA", "XB")}
        base = free_port_base(5)  # Secretariat, XA, XB, XC, then the reference app
        federation = DemoFederation(Path(tmp) / "fed", base, urls)
        build(federation)
        reference_url = f"http://127.0.0.1:{base + 4}{REFERENCE_PATH}"
        side = ReceivingSide(federation, base + 4, args.one_process)
        side.start()
        stack.callback(side.stop)
        DirectoryClient(federation.nodes["XA"].home).refresh()
        meter = CpuMeter(side.pid, backend == "postgresql")

        sender = LocalNode.load(federation.nodes["XA"].home)
        receiver = LocalNode.load(federation.nodes["XB"].home)
        sender_db = federation.database("XA")
        receiver_db = federation.database("XB")
        stack.callback(sender_db.dispose)
        stack.callback(receiver_db.dispose)
        submissions = Submissions()

        body = "x" * len(sealed(sender, canonical_json(submissions.next())))
        run.notes.append(f"one sealed request.submit message: {len(body):,} bytes")
        throughput(sender_db, sender, submissions, 50, 1)  # warm both nodes up

        first_reference = 0.0
        for workers in args.workers:
            reference, reference_cpu = http_rate(reference_url, body, workers, args.count, meter)
            queued, delivered, posts, cpu = throughput(
                sender_db, sender, submissions, args.count, workers, meter, limit=args.limit
            )
            run.rates.append(
                Rate("bare POST (reference)", workers, reference, reference, reference_cpu)
            )
            extra = posts - args.count
            twice = f"; {extra} extra POSTs (a message sent again)" if extra else ""
            run.rates.append(Rate("delivered XA -> XB", workers, delivered, reference, cpu + twice))
            if not first_reference:
                first_reference = reference
                run.rates.append(
                    Rate("queued on XA (enqueue, 1 tx each)", 1, queued, reference, "no HTTP")
                )
        node_url = sender.peers.peer("XB").url
        health, health_cpu = http_rate(
            f"{node_url}/api/v1/health", None, 1, min(args.count, 500), meter
        )
        run.rates.append(
            Rate("GET /api/v1/health on XB's node", 1, health, first_reference, health_cpu)
        )
        garbage, garbage_cpu = http_rate(
            sender.peers.peer("XB").endpoint, body, 1, min(args.count, 300), meter, expect=400
        )
        run.rates.append(
            Rate(
                "garbage POSTed to XB's endpoint",
                1,
                garbage,
                first_reference,
                f"refused (400) and audited; {garbage_cpu}",
            )
        )

        for rate in args.rate:
            latencies, offered = latency(sender_db, sender, submissions, rate, args.seconds)
            bare = bare_post_latency(reference_url, body, rate, min(len(latencies), 500))
            run.latencies.append(
                Latency(
                    f"enqueue -> receipt stored, {offered:.1f}/s",
                    percentile(latencies, 50),
                    percentile(latencies, 99),
                    max(latencies),
                    percentile(bare, 50),
                    percentile(bare, 99),
                    f"{len(latencies)} messages, XA's Worker",
                )
            )

        profile = cProfile.Profile() if args.profile else None
        run.stages = stage_costs(
            sender_db, sender, receiver_db, receiver, submissions, args.rounds, profile
        )
        if profile is not None:
            run.profiles.append(
                profile_text(profile, f"{backend}: XB inbox.receive, no HTTP", args.rounds)
            )
            loop = cProfile.Profile()
            count = max(50, args.count // 2)
            throughput(sender_db, sender, submissions, count, 1, None, loop)
            run.profiles.append(profile_text(loop, f"{backend}: XA deliver_due, 1 worker", count))
    return run


def profile_text(profile: cProfile.Profile, title: str, messages: int) -> str:
    """Own time grouped by where the code lives, then the costliest of our functions by
    cumulative time; both in milliseconds per message (cProfile slows Python code more
    than C code: read the shares, not the absolute figures)."""
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    ours: list[tuple[float, float, str]] = []
    for (path, line, name), (_, calls, own, cumulative, _) in stats.items():
        group = _code_group(path, name)
        groups[group] = groups.get(group, 0.0) + own
        if "/src/hanoi/" in path:
            where = path.split("/src/")[1]
            ours.append((cumulative, calls, f"{where}:{line} {name}"))
    total = sum(groups.values())
    lines = [f"--- {title}: {total / messages * 1000:.2f} ms per message under cProfile ---"]
    lines.append("own time by package:")
    for group, own in sorted(groups.items(), key=lambda item: -item[1])[:14]:
        lines.append(f"  {own / messages * 1000:7.2f} ms {own / total:6.1%}  {group}")
    lines.append("our functions by cumulative time:")
    for cumulative, calls, where in sorted(ours, reverse=True)[:18]:
        share = cumulative / total
        per = calls / messages
        lines.append(f"  {cumulative / messages * 1000:7.2f} ms {share:6.1%}  x{per:<4.1f} {where}")
    return "\n".join(lines)


def _code_group(path: str, name: str) -> str:
    if path == "~":  # C functions: name the library they belong to
        for needle, group in (
            ("sqlite3", "sqlite3 (C: statements, commit with fsync)"),
            ("psycopg", "psycopg (C)"),
            ("socket", "sockets (C)"),
            ("select", "sockets (C)"),
            ("cryptography", "cryptography (C: X25519, AES, Ed25519)"),
            ("pydantic", "pydantic-core (C)"),
            ("re.Pattern", "regular expressions (C)"),
        ):
            if needle in name:
                return group
        return "other built-ins"
    if "/site-packages/" in path:
        return path.split("/site-packages/")[1].split("/")[0]
    if "/src/hanoi/" in path:
        return "hanoi." + path.split("/src/hanoi/")[1].split("/")[0]
    return "standard library"


def report(run: Run, args: argparse.Namespace) -> None:
    layout = "one process" if args.one_process else "XA here, XB in a child process"
    print(f"\n== {run.backend}: {args.count} messages per throughput run, {layout}")
    for note in run.notes:
        print(f"   {note}")
    print(
        f"\n{'throughput':<36} {'threads':>7} {'requests/s':>11} {'ratio to bare POST':>19}  note"
    )
    for rate in run.rates:
        ratio = rate.per_second / rate.reference
        figures = f"{rate.workers:>7} {rate.per_second:>11,.0f} {ratio:>19.3f}"
        print(f"{rate.name:<36} {figures}  {rate.note}")
    print(
        f"\n{'latency':<42} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'bare POST p50/p99 ms':>21}  note"
    )
    for item in run.latencies:
        bare = f"{item.reference_p50 * 1000:.2f} / {item.reference_p99 * 1000:.2f}"
        print(
            f"{item.name:<42} {item.p50 * 1000:>7.1f} {item.p99 * 1000:>7.1f}"
            f" {item.maximum * 1000:>7.1f} {bare:>21}  {item.note}"
        )
    print(f"\n{'one step alone, in one thread':<64} {'µs each':>9}")
    for name, micros in run.stages:
        print(f"{name:<64} {micros:>9,.0f}")
    for listing in run.profiles:
        print()
        print(listing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--count", type=int, default=1000, help="messages per throughput run")
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 4],
        help="delivery threads, comma-separated: one throughput run each (default 1,4)",
    )
    parser.add_argument(
        "--rate",
        type=lambda text: [float(n) for n in text.split(",")],
        default=[50.0, 10.0],
        help="offered loads in messages/s, comma-separated: one latency run each (default 50,10)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument(
        "--limit", type=int, default=50, help="deliver_due's batch size (its default: 50)"
    )
    parser.add_argument("--rounds", type=int, default=200, help="rounds of each step alone")
    parser.add_argument("--one-process", action="store_true", help="serve XB in this process")
    parser.add_argument("--profile", action="store_true", help="print cProfile listings")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"{os.cpu_count()} CPUs; two CPU-bound processes together do"
        f" {parallel_speedup():.2f}x the work of one (2.00 on two free cores)"
    )
    for backend in backends:
        report(run_backend(backend, args), args)


if __name__ == "__main__":
    main()

"""One large evidence package sealed at XB and delivered to XA, each node its own process,
against ``curl -T`` of the same ciphertext to a bare receiver measured in the same run.

Run: .venv/bin/python bench/evidence_delivery.py [--size-gib 10] [--dir /var/tmp] [--keep]

A demo federation (Secretariat, XA, XB, as ``hanoi demo`` builds them) is made in a new
folder under ``--dir`` (on disk: the run needs about four times ``--size-gib`` free, which
is checked first) and each node is started as ``hanoi up`` in a process of its own. XA's
officer sends the demo MLA request to XB; XB's officer acknowledges, starts and executes it
(the service API on each node's database, while the nodes deliver the messages).

Then, each step in a process of its own so that its peak RSS is its own:

1. a random file of ``--size-gib`` GiB is written (AES-CTR keystream, 4 MiB at a time);
2. it is sealed for the request twice, each time timed with the process's peak RSS: by the
   CLI, ``hanoi evidence seal`` (that package is thrown away), then by
   ``hanoi.cases.evidence.seal_for_request``, the package delivered; the plaintext is then
   deleted;
3. ``deliver_package`` (XB's officer) checks the package, copies its payload into XB's blob
   store and queues the signed offer (timed, with its peak RSS); from that moment XB's and
   XA's ``hanoi up`` processes do the rest: the offer, the tus-style upload (16 MiB
   PATCHes), XA's hash check and package verification, the signed receipt back to XB.
   Delivery time runs from the offer queued to XB's package row saying ``delivered``. Each
   node's peak RSS during the delivery is its ``VmHWM``, reset through
   ``/proc/<pid>/clear_refs`` when it starts.
4. the reference: the same ciphertext file sent by ``curl -T`` (one PUT) to a one-route
   Starlette app under uvicorn in its own process that streams the body to a file and
   fsyncs it at the end; then the same with the receiver fsyncing every 16 MiB as XA does.
   Also timed, for scale: ``openssl dgst -sha256`` of the ciphertext (one hashing pass).

The peak RSS of a step is not ``ru_maxrss`` from ``wait4``: on Linux a child counts the pages
of the process it was forked from until its ``exec`` (and with ``vfork``/``posix_spawn`` it
reads the parent's peak when that is higher), so every step would show this script's own
peak. This script's own steps (``seal_for_request``, ``deliver_package``) read their
``VmHWM`` from /proc/self/status when the step ends and return it with their result; the CLI
runs under GNU time (``/usr/bin/time -f %M``, Debian package ``time``), a small C program
whose child starts from its few MiB. Wall and CPU times (``wait4``) are unaffected.

Progress is printed every few seconds. Everything made is deleted at the end (``--keep``
keeps the folder). No thresholds: the numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Seeding the demo users hashes their passwords; cheap parameters change nothing measured.
os.environ.setdefault("HANOI_ARGON2_PROFILE", "test")

MIB = 1024 * 1024
GIB = 1024 * MIB
EVERY = 5.0  # seconds between progress lines
CHILD_ENV = {"HANOI_ARGON2_PROFILE": "test"}
HANOI = Path(sys.executable).with_name("hanoi")
UPLOAD_PATH = "/upload"
GNU_TIME = Path("/usr/bin/time")


def say(text: str) -> None:
    print(text, flush=True)


# --- processes and their memory --------------------------------------------------------------


def status_kib(pid: int | str, field_name: str) -> int:
    """A ``Vm*`` line of /proc/<pid>/status in KiB (0 once the process is gone); ``pid``
    may be ``"self"``."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_rss_mib() -> float:
    return status_kib(os.getpid(), "VmRSS") / 1024


def reset_peak(pid: int) -> None:
    """Reset the process's ``VmHWM`` to its current RSS (Linux 4.0+, own processes)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HANOI_DATABASE_URL", "HANOI_HOME")}
    return env | CHILD_ENV


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class Finished:
    seconds: float
    peak_mib: float
    result: dict[str, Any]
    cpu: float = 0.0


def run_step(step: str, arguments: dict[str, Any], result_file: Path) -> Finished:
    """Run this script's ``step`` in a child process; its wall time and CPU time (wait4),
    the JSON it wrote to ``result_file`` and the peak RSS in it (the child's own ``VmHWM``
    at the end of the step: ``ru_maxrss`` would count this process's pages)."""
    command = [sys.executable, __file__, "--step", step, "--step-args", json.dumps(arguments)]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=child_env())
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"step {step} failed with exit code {process.returncode}")
    result = json.loads(result_file.read_text())
    return Finished(elapsed, result["peak_kib"] / 1024, result, usage.ru_utime + usage.ru_stime)


class Ticker:
    """Calls ``report`` every ``EVERY`` seconds in a thread, until the block ends."""

    def __init__(self, report: Any) -> None:
        self.report = report
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.monotonic()
        while not self.done.wait(EVERY):
            self.report(time.monotonic() - start)

    def __enter__(self) -> Ticker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


class RssSampler:
    """Samples VmRSS of named processes every 0.2 s: the largest seen, as a cross-check of
    ``VmHWM`` (which cannot miss a peak); and the CPU time they use meanwhile."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.largest = dict.fromkeys(pids, 0)
        self.cpu = dict.fromkeys(pids, 0.0)
        self.first = dict.fromkeys(pids, 0)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(0.2):
            for name, pid in self.pids.items():
                self.largest[name] = max(self.largest[name], status_kib(pid, "VmRSS"))

    def start(self) -> None:
        for name, pid in self.pids.items():
            reset_peak(pid)
            self.cpu[name] = cpu_seconds(pid)
            self.first[name] = status_kib(pid, "VmRSS")
        self.thread.start()

    def stop(self) -> dict[str, tuple[float, float, float, float]]:
        """Per process: VmHWM since start, largest VmRSS sampled, VmRSS at start (MiB), CPU
        seconds since start."""
        self.done.set()
        self.thread.join()
        return {
            name: (
                status_kib(pid, "VmHWM") / 1024,
                self.largest[name] / 1024,
                cpu_seconds(pid) - self.cpu[name],
                self.first[name] / 1024,
            )
            for name, pid in self.pids.items()
        }


# --- the federation ---------------------------------------------------------------------------


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the process exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0, trust_env=False).status_code < 500:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{url}: no answer after {timeout:.0f} s")
        time.sleep(0.2)


@dataclass
class Nodes:
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
        hanoi = [str(HANOI)]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [*hanoi, "up", "--home", str(home), "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=child_env(),
            )
        self.processes[name] = process
        wait_http(f"http://127.0.0.1:{port}/api/v1/health", process)
        return process

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            stop_process(process)


def officer(db: Any) -> Any:
    from hanoi.accounts.service import get_user_by_username

    with db.session() as session:
        user = get_user_by_username(session, "officer")
        assert user is not None
        session.expunge(user)
        return user


def wait_until(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def executed_mla(federation: Any) -> str:
    """XA's officer sends the demo MLA request to XB; XB's officer acknowledges, starts and
    executes it. The nodes' own workers carry every message. Returns the reference."""
    from sqlalchemy import func, select

    from hanoi.cases.acting import act
    from hanoi.cases.documents import parse_document_obj
    from hanoi.cases.lifecycle import Action, ActionRequest
    from hanoi.cases.models import CaseRequest
    from hanoi.cases.sending import send_request
    from hanoi.demo.scenario import example_document
    from hanoi.exchange.identity import LocalNode
    from hanoi.exchange.models import DeliveryState, OutboxMessage

    xa_db, xb_db = federation.database("XA"), federation.database("XB")
    xa = LocalNode.load(federation.nodes["XA"].home)
    xb = LocalNode.load(federation.nodes["XB"].home)

    def status(db: Any, reference: str) -> str | None:
        with db.session() as session:
            return session.scalar(
                select(CaseRequest.status).where(CaseRequest.reference == reference)
            )

    def outbox_empty(db: Any) -> bool:
        with db.session() as session:
            pending = session.scalar(
                select(func.count()).where(OutboxMessage.status == DeliveryState.PENDING.value)
            )
        return not pending

    try:
        document = example_document("mla", date_of_request=time.strftime("%Y-%m-%d"))
        with xa_db.session() as session:
            case = send_request(
                session, xa, user=officer(xa_db), document=parse_document_obj(document)
            )
            reference = case.reference
        wait_until(lambda: status(xb_db, reference) == "received", "XB to receive the request")
        for action, reason in (
            (Action.ACKNOWLEDGE, None),
            (Action.START, None),
            (Action.EXECUTE, "Data obtained; evidence follows."),
        ):
            with xb_db.session() as session:
                act(session, xb, user=officer(xb_db), reference=reference,
                    request=ActionRequest(action, reason=reason))  # fmt: skip
            wait_until(lambda: outbox_empty(xb_db), f"XB to deliver '{action}'")
        wait_until(lambda: status(xa_db, reference) == "executed", "XA to see it executed")
        return reference
    finally:
        xa_db.dispose()
        xb_db.dispose()


# --- the steps, each in a child process ---------------------------------------------------------


def federation_of(arguments: dict[str, Any]) -> Any:
    from hanoi.demo.federation import DemoFederation

    return DemoFederation(Path(arguments["federation"]), int(arguments["port_base"]))


def step_seal(arguments: dict[str, Any]) -> dict[str, Any]:
    from hanoi.cases.evidence import seal_for_request
    from hanoi.exchange.identity import LocalNode

    federation = federation_of(arguments)
    db = federation.database("XB")
    node = LocalNode.load(federation.nodes["XB"].home)
    source = Path(arguments["source"])
    size = source.stat().st_size
    done = [0]

    def report(elapsed: float) -> None:
        say(
            f"  sealing: {done[0] / GIB:6.2f} of {size / GIB:.2f} GiB, "
            f"{done[0] / MIB / elapsed:5.0f} MiB/s, RSS {own_rss_mib():.0f} MiB"
        )

    user = officer(db)
    before = own_rss_mib()  # imports made, database opened: what sealing starts from
    with Ticker(report):
        start = time.perf_counter()
        manifest = seal_for_request(
            db,
            node,
            user=user,
            reference=arguments["reference"],
            sources=[source],
            out=Path(arguments["out"]),
            progress=lambda _name, read: done.__setitem__(0, read),
        )
        seconds = time.perf_counter() - start
    db.dispose()
    return {"seconds": seconds, "package_id": manifest.package_id, "rss_before": before}


def step_deliver(arguments: dict[str, Any]) -> dict[str, Any]:
    from hanoi.cases.evidence import deliver_package
    from hanoi.exchange.identity import LocalNode

    federation = federation_of(arguments)
    db = federation.database("XB")
    node = LocalNode.load(federation.nodes["XB"].home)

    def report(elapsed: float) -> None:
        say(
            f"  deliver_package: {elapsed:5.0f} s (checking the package, copying it into "
            f"XB's blob store), RSS {own_rss_mib():.0f} MiB"
        )

    with Ticker(report):
        start = time.perf_counter()
        row = deliver_package(
            db, node, user=officer(db), reference=arguments["reference"],
            package=Path(arguments["package"]),
        )  # fmt: skip
        queued = time.time()
        seconds = time.perf_counter() - start
    db.dispose()
    return {"seconds": seconds, "queued": queued, "package_id": row.id}


def step_receiver(arguments: dict[str, Any]) -> None:
    """The reference receiver: PUT /upload streams the body to a file, fsynced at the end
    (and every ``fsync_every`` bytes, if not 0)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    target = Path(arguments["out"])
    every = int(arguments["fsync_every"])

    async def upload(request: Request) -> Response:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        count = unsynced = 0
        try:
            async for chunk in request.stream():
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                count += len(chunk)
                unsynced += len(chunk)
                if every and unsynced >= every:
                    os.fsync(fd)
                    unsynced = 0
            os.fsync(fd)
        finally:
            os.close(fd)
        return Response(status_code=204, headers={"X-Bytes": str(count)})

    app = Starlette(routes=[Route(UPLOAD_PATH, upload, methods=["PUT"])])
    uvicorn.run(app, host="127.0.0.1", port=int(arguments["port"]), log_level="warning")


def run_child_step(step: str, arguments: dict[str, Any]) -> None:
    if step == "receiver":
        step_receiver(arguments)
        return
    result = step_seal(arguments) if step == "seal" else step_deliver(arguments)
    # The process's own peak: VmHWM starts afresh at exec, unlike wait4's ru_maxrss.
    result["peak_kib"] = status_kib("self", "VmHWM")
    Path(arguments["result"]).write_text(json.dumps(result))


# --- the measurement ------------------------------------------------------------------------------


def generate(path: Path, size: int) -> float:
    """Write ``size`` pseudo-random bytes (AES-256-CTR keystream) in constant memory."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    keystream = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16))).encryptor()
    zeros = bytes(4 * MIB)
    written = [0]
    start = time.perf_counter()
    with (
        open(path, "wb") as out,
        Ticker(lambda s: say(f"  writing: {written[0] / GIB:6.2f} of {size / GIB:.2f} GiB")),
    ):
        while written[0] < size:
            block = keystream.update(zeros[: min(len(zeros), size - written[0])])
            out.write(block)
            written[0] += len(block)
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - start


@dataclass
class Delivery:
    seconds: float
    phases: list[tuple[str, float]]
    retries: list[str]


def watch_delivery(
    federation: Any, nodes: Nodes, package_id: str, queued: float, size: int
) -> Delivery:
    """Poll both nodes' package rows (and XA's partial upload) until XB says delivered;
    note when each stage is first seen, relative to ``queued``."""
    from hanoi.evidence.models import EvidencePackage

    xa_db, xb_db = federation.database("XA"), federation.database("XB")
    part = federation.nodes["XA"].home / "uploads" / package_id / "0001.part"
    seen: dict[str, float] = {}
    retries: list[str] = []
    state: dict[str, Any] = {"xb": None, "xa": None, "part": 0}

    def row(db: Any) -> tuple[str, int, str | None] | None:
        with db.session() as session:
            found = session.get(EvidencePackage, package_id)
            return None if found is None else (found.status, found.bytes_done, found.last_error)

    def report(elapsed: float) -> None:
        xb, xa = state["xb"], state["xa"]
        xb_text = f"XB {xb[0]} {xb[1] / GIB:.2f} GiB sent" if xb else "XB -"
        xa_text = f"XA {xa[0]} {xa[1] / GIB:.2f} GiB held" if xa else "XA: no offer yet"
        rss = ", ".join(
            f"{code} RSS {status_kib(p, 'VmRSS') / 1024:.0f} MiB" for code, p in state["pids"]
        )
        say(f"  delivery: {elapsed:5.0f} s  {xb_text}; {xa_text}; {rss}")

    state["pids"] = [(code, nodes.pid(code)) for code in ("XA", "XB")]
    deadline = time.monotonic() + 600 + size / (2 * MIB)
    try:
        with Ticker(report):
            while True:
                now = time.time() - queued
                state["xb"], state["xa"] = row(xb_db), row(xa_db)
                for name, value in (("XB", state["xb"]), ("XA", state["xa"])):
                    if value is not None:
                        seen.setdefault(f"{name} {value[0]}", now)
                        if value[2] and value[2] not in retries:
                            retries.append(value[2])
                            say(f"  {name} reports: {value[2]}")
                with contextlib.suppress(OSError):
                    if part.stat().st_size >= size:
                        seen.setdefault("XA holds every byte (.part complete)", now)
                if state["xb"] is not None and state["xb"][0] == "failed":
                    raise SystemExit(f"the delivery failed: {state['xb'][2]}")
                if state["xb"] is not None and state["xb"][0] == "delivered":
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("the delivery did not finish in time")
                time.sleep(0.1)
    finally:
        xa_db.dispose()
        xb_db.dispose()
    phases = sorted(seen.items(), key=lambda item: item[1])
    return Delivery(seen["XB delivered"], phases, retries)


@dataclass
class Reference:
    seconds: float
    receiver_peak_mib: float
    receiver_cpu: float
    curl_cpu: float


def reference_upload(source: Path, folder: Path, port: int, fsync_every: int = 0) -> Reference:
    """``curl -T`` of ``source`` to the bare receiver: time, the receiver's peak RSS, the
    CPU seconds of the receiver and of curl."""
    out = folder / "reference-received.bin"
    arguments = json.dumps({"out": str(out), "port": port, "fsync_every": fsync_every})
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--step", "receiver", "--step-args", arguments],
        env=child_env(),
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", receiver)
        reset_peak(receiver.pid)
        receiver_cpu = cpu_seconds(receiver.pid)
        size = source.stat().st_size

        def report(elapsed: float) -> None:
            held = out.stat().st_size if out.exists() else 0
            say(f"  curl -T: {elapsed:5.0f} s  {held / GIB:.2f} of {size / GIB:.2f} GiB received")

        command = [
            "curl", "-sS", "--fail", "-T", str(source), "-H", "Expect:", "-o", "/dev/null",
            "-w", "%{http_code} %{size_upload}", f"http://127.0.0.1:{port}{UPLOAD_PATH}",
        ]  # fmt: skip
        answer_file = folder / "curl.out"
        with Ticker(report), open(answer_file, "wb") as answer_out:
            start = time.perf_counter()
            curl = subprocess.Popen(command, stdout=answer_out)
            _, status, usage = os.wait4(curl.pid, 0)
            seconds = time.perf_counter() - start
        curl.returncode = os.waitstatus_to_exitcode(status)
        answer = answer_file.read_text()
        code, sent = [*answer.split(), "", ""][:2]
        if curl.returncode or code != "204" or int(sent or 0) != size or out.stat().st_size != size:
            raise SystemExit(f"the reference upload went wrong: curl {curl.returncode}, {answer}")
        measured = Reference(
            seconds,
            status_kib(receiver.pid, "VmHWM") / 1024,
            cpu_seconds(receiver.pid) - receiver_cpu,
            usage.ru_utime + usage.ru_stime,
        )
    finally:
        stop_process(receiver)
        out.unlink(missing_ok=True)
    return measured


def check_gnu_time() -> None:
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit(
            f"{GNU_TIME} not found: it measures the peak RSS of hanoi evidence seal "
            "(Debian/Ubuntu: apt-get install time)"
        )


def child_of(pid: int) -> int:
    """The first child of ``pid`` (/proc/<pid>/task/<pid>/children), or ``pid`` itself."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])
    return pid


def cli_seal(federation: Any, source: Path, out: Path, reference: str, log: Path) -> Finished:
    """``hanoi evidence seal`` of ``source`` for the request, as an officer would run it:
    wall time and CPU time (wait4), and the process's peak RSS, from GNU time's ``%M``
    (a child of this process would count this process's pages in ``ru_maxrss``)."""
    check_gnu_time()
    measured = log.with_suffix(".time")
    command = [
        str(GNU_TIME), "-f", "%M", "-o", str(measured),
        str(HANOI), "evidence", "seal", str(source), "--to", "XA", "--out", str(out),
        "--request", reference, "--user", "officer", "--home", str(federation.nodes["XB"].home),
    ]  # fmt: skip
    with open(log, "wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=child_env()
        )

        def report(elapsed: float) -> None:
            rss = status_kib(child_of(process.pid), "VmRSS") / 1024
            say(f"  hanoi evidence seal: {elapsed:5.0f} s, RSS {rss:.0f} MiB")

        with Ticker(report):
            _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"hanoi evidence seal failed: {log.read_text()[-2000:]}")
    # GNU time writes "Command exited with non-zero status N" first when the command fails.
    lines = measured.read_text().split()
    if not lines or not lines[-1].isdigit():
        raise SystemExit(f"{GNU_TIME} gave no peak RSS: {measured.read_text()!r}")
    peak_kib = int(lines[-1])
    return Finished(elapsed, peak_kib / 1024, {}, usage.ru_utime + usage.ru_stime)


def hash_pass(source: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["openssl", "dgst", "-sha256", str(source)], check=True, capture_output=True)
    return time.perf_counter() - start


def check_space(folder: Path, size: int) -> None:
    say(subprocess.run(["df", "-h", str(folder)], capture_output=True, text=True).stdout.strip())
    kinds = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            kinds[parts[1]] = parts[2]
    mount = folder.resolve()
    while str(mount) not in kinds and mount != mount.parent:
        mount = mount.parent
    if kinds.get(str(mount)) in ("tmpfs", "ramfs"):
        raise SystemExit(f"{folder} is on {kinds[str(mount)]}: pick a folder on disk (--dir)")
    # Plaintext (deleted after sealing), the package, XB's blob copy, XA's copy, the
    # reference's copy (deleted at once): four copies at most, and a margin.
    needed = 4 * size + 2 * GIB
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise SystemExit(f"{folder}: {free / GIB:.1f} GiB free, {needed / GIB:.1f} GiB needed")


@contextlib.contextmanager
def workspace(parent: Path, keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="hanoi-evidence-bench-", dir=parent))
    try:
        yield folder
    finally:
        if keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from hanoi.demo.federation import DemoFederation, build
    from hanoi.demo.serving import free_port_base
    from hanoi.directory.client import DirectoryClient

    size = int(args.size_gib * GIB)
    check_gnu_time()
    args.dir.mkdir(parents=True, exist_ok=True)
    check_space(args.dir, size)
    nodes = Nodes()
    with workspace(args.dir, args.keep) as folder:
        try:
            base = free_port_base(5)  # Secretariat, XA, XB, XC (not started), reference receiver
            federation = DemoFederation(folder / "fed", base)
            say(f"building the demo federation in {federation.home}")
            build(federation)
            secretariat = federation.secretariat
            nodes.start("UN", secretariat.home, secretariat.port, folder / "UN.log")
            for code in ("XA", "XB"):
                DirectoryClient(federation.nodes[code].home).refresh()
            for code in ("XA", "XB"):
                node = federation.nodes[code]
                nodes.start(code, node.home, node.port, folder / f"{code}.log")
            say(f"nodes up: XA pid {nodes.pid('XA')}, XB pid {nodes.pid('XB')} (hanoi up)")
            reference = executed_mla(federation)
            say(f"request {reference}: sent by XA, executed by XB")

            source = folder / "evidence" / "disk-image.bin"
            source.parent.mkdir()
            say(f"writing {size / GIB:.2f} GiB of random data to {source}")
            generated = generate(source, size)
            say(f"  written in {generated:.1f} s")

            say("sealing with the CLI, hanoi evidence seal (a package thrown away after)")
            by_cli = cli_seal(
                federation, source, folder / "cli-package", reference, folder / "seal-cli.log"
            )
            shutil.rmtree(folder / "cli-package")
            say(f"  sealed in {by_cli.seconds:.1f} s, peak RSS {by_cli.peak_mib:.0f} MiB")

            common = {"federation": str(federation.home), "port_base": base}
            package = folder / "package"
            say("sealing for the request (seal_for_request, its own process)")
            sealed = run_step(
                "seal",
                common
                | {
                    "reference": reference,
                    "source": str(source),
                    "out": str(package),
                    "result": str(folder / "seal.json"),
                },
                folder / "seal.json",
            )
            source.unlink()
            payload = package / "payload" / "0001.age"
            ciphertext = payload.stat().st_size
            say(f"  sealed in {sealed.result['seconds']:.1f} s, peak RSS {sealed.peak_mib:.0f} MiB")

            say("delivering XB -> XA (deliver_package in its own process, then the nodes)")
            sampler = RssSampler({"XA": nodes.pid("XA"), "XB": nodes.pid("XB")})
            sampler.start()
            offered = run_step(
                "deliver",
                common
                | {
                    "reference": reference,
                    "package": str(package),
                    "result": str(folder / "deliver.json"),
                },
                folder / "deliver.json",
            )
            package_id = offered.result["package_id"]
            say(f"  offer queued after {offered.result['seconds']:.1f} s; package {package_id}")
            delivery = watch_delivery(
                federation, nodes, package_id, offered.result["queued"], ciphertext
            )
            peaks = sampler.stop()
            say(f"  delivered in {delivery.seconds:.1f} s")
            for message in delivery.retries:
                say(f"  retried after: {message}")

            say("reference: curl -T of the same ciphertext to a bare Starlette receiver")
            bare = reference_upload(payload, folder, base + 4)
            say(f"  {bare.seconds:.1f} s")
            say("the same, the receiver fsyncing every 16 MiB as XA does (for scale)")
            synced = reference_upload(payload, folder, base + 4, fsync_every=16 * MIB)
            say(f"  {synced.seconds:.1f} s")
            say("one SHA-256 pass over the ciphertext (openssl dgst), for scale")
            hashing = hash_pass(payload)
            say(f"  {hashing:.1f} s")
        finally:
            nodes.stop()

    mib = ciphertext / MIB
    print()
    print(f"== evidence delivery XB -> XA, {size / GIB:.2f} GiB plaintext, "
          f"{ciphertext:,} bytes of ciphertext; {os.cpu_count()} CPUs")  # fmt: skip
    rows = [
        ("hanoi evidence seal (CLI process)", by_cli.seconds, by_cli.peak_mib,
         "whole process, start to exit (GNU time %M)"),
        ("seal_for_request", sealed.result["seconds"], sealed.peak_mib,
         f"its process (VmHWM); {sealed.result['rss_before']:.0f} MiB before sealing began"),
        ("deliver_package (check + copy to blobs)", offered.result["seconds"], offered.peak_mib,
         f"its own process (VmHWM); CPU {offered.cpu:.1f} s"),
        ("offer queued -> XB says delivered", delivery.seconds, None,
         f"CPU s: XA {peaks['XA'][2]:.1f}, XB {peaks['XB'][2]:.1f}"),
        ("reference: curl -T to bare receiver", bare.seconds, bare.receiver_peak_mib,
         f"receiver process; CPU s: receiver {bare.receiver_cpu:.1f}, curl {bare.curl_cpu:.1f}"),
        ("the same, receiver fsyncs every 16 MiB", synced.seconds, synced.receiver_peak_mib,
         f"CPU s: receiver {synced.receiver_cpu:.1f}, curl {synced.curl_cpu:.1f}"),
        ("one SHA-256 pass (openssl dgst)", hashing, None, ""),
    ]  # fmt: skip
    print(f"{'step':<42} {'s':>8} {'MiB/s':>7} {'peak RSS MiB':>13}  note")
    print(f"{'(targets: sealing process < 100 MB, each node < 200 MB)':<42}")
    for name, seconds, peak, note in rows:
        shown = f"{peak:>13.0f}" if peak is not None else f"{'':>13}"
        print(f"{name:<42} {seconds:>8.1f} {mib / seconds:>7.0f} {shown}  {note}")
    print(f"\nratio Hanoi delivery / reference: {delivery.seconds / bare.seconds:.2f}")
    start_to_end = offered.result["seconds"] + delivery.seconds
    print(f"deliver_package start -> delivered: {start_to_end:.1f} s "
          f"(ratio {start_to_end / bare.seconds:.2f})")  # fmt: skip
    print("\npeak RSS of each node process during the delivery (target < 200 MiB):")
    for code, (hwm, sampled, _cpu, first) in peaks.items():
        print(
            f"  {code}: VmHWM {hwm:.0f} MiB (largest VmRSS sampled {sampled:.0f} MiB; "
            f"{first:.0f} MiB when the delivery began)"
        )
    print("\nstages, seconds after the offer was queued (first seen, polled every 0.1 s):")
    for name, at in delivery.phases:
        print(f"  {at:8.1f}  {name}")
    seen = dict(delivery.phases)
    spans = [
        ("offer to XA, receipt of it back", None, "XB transferring"),
        ("upload (PATCHes until XA holds every byte)", "XA transferring",
         "XA holds every byte (.part complete)"),
        ("XA hashes the payload, adopts it (last PATCH)", "XA holds every byte (.part complete)",
         "XA landed"),
        ("XA verifies the package, signs the receipt", "XA landed", "XA delivered"),
        ("the receipt to XB", "XA delivered", "XB delivered"),
    ]  # fmt: skip
    print("\nwhere the delivery's time goes:")
    for name, begin, end in spans:
        if (begin is None or begin in seen) and end in seen:
            took = seen[end] - (seen[begin] if begin else 0.0)
            rate = f"  {mib / took:6.0f} MiB/s" if "upload" in name and took > 0 else ""
            print(f"  {took:8.1f} s  {name}{rate}")
    if delivery.retries:
        print("\nerrors recorded on the way (each followed by a retry):")
        for message in delivery.retries:
            print(f"  {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=10.0, help="plaintext size (GiB)")
    parser.add_argument(
        "--dir", type=Path, default=Path("/var/tmp"), help="where to work (on disk, not tmpfs)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--step-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_child_step(args.step, json.loads(args.step_args))
        return
    run(args)


if __name__ == "__main__":
    main()

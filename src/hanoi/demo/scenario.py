"""The demo scenario, played by the demo users of each node through the service API.

1. XA's 24/7 point asks XB to preserve stored data (Art. 42).
2. XB's 24/7 point acknowledges it and preserves the data for 90 days.
3. XA's central authority sends the follow-up request for the stored data (Art. 44).
4. XB's central authority acknowledges, executes it.
5. XB seals the evidence for XA's request and delivers it; XA's node verifies it on arrival.
6. XA's central authority opens the package: every file re-checked against the manifest.
7. XA's log proves the package's receipt offline, cosigned by XB's and XC's witnesses; both
   copies of the package get the proofs of their events in ``proofs/``.
8. XA's central authority asks XC for assistance; XC refuses it with a ground and a reason.
9. Every signed receipt each node holds is written with its offline proof (the holder's
   log, cosigned by the two other States' witnesses) and checked as a court would.

Each step waits until the other node has the message (signed receipt stored) and checks that
both nodes show the request in the same status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases.acting import act
from hanoi.cases.approval import approve
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.errors import CasesError
from hanoi.cases.evidence import (
    deliver_package,
    open_received,
    package_events,
    package_folder,
    seal_for_request,
    write_proofs,
)
from hanoi.cases.lifecycle import Action, ActionRequest
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.cases.sending import send_request
from hanoi.crypto.cosignature import CosignatureVerifier
from hanoi.crypto.keys import KeyStore
from hanoi.crypto.note import Verifier
from hanoi.db.base import utcnow
from hanoi.demo.federation import DemoFederation
from hanoi.demo.serving import ServedNode
from hanoi.errors import HanoiError
from hanoi.evidence.errors import EvidenceError
from hanoi.evidence.models import EvidencePackage
from hanoi.exchange.errors import ExchangeError
from hanoi.exchange.models import DeliveryState, OutboxMessage
from hanoi.exchange.receipt_proofs import delivered_since, receipt_bundle, verify_bundle
from hanoi.ledger.errors import LedgerError
from hanoi.ledger.keys import NodeLogKeys
from hanoi.ledger.proof import verify_proof_file
from hanoi.ledger.service import proof_for_leaf

DELIVERY_TIMEOUT = 30.0
#: A checkpoint is signed within a second and witnesses are asked every 10 seconds.
PROOF_TIMEOUT = 45.0


class ScenarioFailed(HanoiError):
    """A step of the demo scenario did not end as expected (it stops the scenario, which
    reports the step; no caller but the scenario handles it)."""


@dataclass
class Step:
    number: int
    title: str
    reference: str
    status: str
    ok: bool
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "title": self.title,
            "reference": self.reference,
            "status": self.status,
            "ok": self.ok,
            "detail": self.detail,
        }


@dataclass
class ScenarioResult:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)


#: How far ahead of today an example's requested deadline lies.
EXAMPLE_DEADLINE = timedelta(days=60)


def example_document(name: str, **changes: Any) -> dict[str, Any]:
    """A demo request document, with ``changes`` applied. A requested deadline is put
    :data:`EXAMPLE_DEADLINE` from today (unless ``changes`` sets one): the check refuses a
    deadline already past, and a date fixed in the file would pass one day."""
    text = resources.files("hanoi.demo").joinpath(f"data/{name}.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    if "deadline" in document:
        document["deadline"] = (utcnow().date() + EXAMPLE_DEADLINE).isoformat()
    return document | changes


class _Play:
    def __init__(self, federation: DemoFederation, served: dict[str, ServedNode]) -> None:
        self.federation = federation
        self.served = served
        self.result = ScenarioResult()

    def send(
        self, state: str, username: str, document: dict[str, Any], parent: str | None = None
    ) -> str:
        runtime = self.served[state].runtime
        assert runtime.node is not None
        with runtime.db.session() as session:
            user = _user(session, username)
            case = send_request(
                session,
                runtime.node,
                user=user,
                document=parse_document_obj(document),
                parent_reference=parent,
            )
            reference = case.reference
        self._deliver(state, reference)
        return reference

    def act(self, state: str, username: str, reference: str, action: Action, **fields: Any) -> None:
        runtime = self.served[state].runtime
        assert runtime.node is not None
        with runtime.db.session() as session:
            act(
                session,
                runtime.node,
                user=_user(session, username),
                reference=reference,
                request=ActionRequest(action, **fields),
            )
        self._deliver(state, reference)

    def approve(self, state: str, username: str, reference: str) -> None:
        """A supervisor approves a request awaiting approval (four eyes): it is sent."""
        runtime = self.served[state].runtime
        assert runtime.node is not None
        with runtime.db.session() as session:
            approve(session, runtime.node, user=_user(session, username), reference=reference)
        self._deliver(state, reference)

    def check(self, title: str, reference: str, expected: str, *states: str) -> None:
        seen = {state: self.status(state, reference) for state in states}
        ok = all(status == expected for status in seen.values())
        detail = ", ".join(f"{state}: {status}" for state, status in seen.items())
        self.result.steps.append(
            Step(len(self.result.steps) + 1, title, reference, expected, ok, detail)
        )
        if not ok:
            raise ScenarioFailed(
                f"step {len(self.result.steps)} ({title}): expected {expected}, {detail}"
            )

    def record(self, title: str, reference: str, status: str, detail: str) -> None:
        self.result.steps.append(
            Step(len(self.result.steps) + 1, title, reference, status, True, detail)
        )

    def deliver_evidence(self, state: str, username: str, reference: str) -> str:
        """Seal the demo evidence files as ``username`` for ``reference`` and deliver them."""
        runtime = self.served[state].runtime
        assert runtime.node is not None
        home = self.federation.nodes[state].home
        folder = home / "evidence-to-send" / reference
        sources = _demo_evidence(folder / "files")
        with runtime.db.session() as session:
            user = _user(session, username)
            session.expunge(user)
        manifest = seal_for_request(
            runtime.db,
            runtime.node,
            user=user,
            reference=reference,
            sources=sources,
            out=folder / "package",
        )
        deliver_package(
            runtime.db, runtime.node, user=user, reference=reference, package=folder / "package"
        )
        self._deliver(state, reference)
        return manifest.package_id

    def check_package(self, title: str, reference: str, package_id: str, *states: str) -> None:
        """Wait until every node says the package is delivered (verified by the receiver)."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            seen = {state: self._package_status(state, package_id) for state in states}
            if all(status in ("delivered", "failed") for status in seen.values()):
                break
            if time.monotonic() > deadline:
                break
            for state in states:
                runtime = self.served[state].runtime
                if runtime.worker is not None:
                    runtime.worker.wake()
            time.sleep(0.1)
        ok = all(status == "delivered" for status in seen.values())
        detail = ", ".join(f"{state}: {status}" for state, status in seen.items())
        self.result.steps.append(
            Step(len(self.result.steps) + 1, title, reference, "delivered", ok, detail)
        )
        if not ok:
            raise ScenarioFailed(f"step {len(self.result.steps)} ({title}): {detail}")

    def open_evidence(self, state: str, username: str, reference: str, package_id: str) -> Path:
        runtime = self.served[state].runtime
        assert runtime.node is not None
        home = self.federation.nodes[state].home
        out = home / "opened-evidence" / f"{reference}-{package_id}"
        out.parent.mkdir(parents=True, exist_ok=True)
        with runtime.db.session() as session:
            user = _user(session, username)
            session.expunge(user)
        open_received(
            runtime.db,
            runtime.node,
            user=user,
            reference=reference,
            package_id=package_id,
            identity=KeyStore(home).age_identity(),
            out=out,
        )
        return out

    def prove_event(
        self, state: str, reference: str, action: str, *, witnesses: tuple[str, ...]
    ) -> Path:
        """Wait until ``state``'s log has a checkpoint covering the request's ``action``
        event that all ``witnesses`` cosigned; write its proof file under the node's home
        and check it offline, as anyone would (``hanoi ledger verify-proof``)."""
        runtime = self.served[state].runtime
        with runtime.db.session() as session:
            leaf = session.scalar(
                select(RequestEvent.ledger_leaf)
                .join(CaseRequest, CaseRequest.id == RequestEvent.request_id)
                .where(CaseRequest.reference == reference, RequestEvent.action == action)
            )
        if leaf is None:
            raise ScenarioFailed(f"{reference}: no {action} event at {state}")
        log_key, cosigners = self._log_keys(state, witnesses)
        deadline = time.monotonic() + PROOF_TIMEOUT
        while True:
            proof = proof_for_leaf(runtime.db, bytes.fromhex(leaf), quorum=len(cosigners))
            try:
                if proof is not None:
                    verify_proof_file(proof, log_key, cosigners, quorum=len(cosigners))
                    break
            except LedgerError:
                pass  # not yet cosigned by every witness
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"{reference}: no cosigned proof of {action} in time")
            time.sleep(0.5)
        out = self.federation.nodes[state].home / "proofs" / f"{reference}-{action}.tlog-proof"
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(proof)
        return out

    def prove_receipts(self) -> tuple[int, Path]:
        """Write every receipt each node holds, with its proof once a checkpoint cosigned by
        both other States covers it, to ``<home>/receipts/<message id>/``, and check each
        folder offline (``hanoi exchange verify-receipt``). Returns (receipts, folder of
        the first node's)."""
        states = sorted(self.served)
        count = 0
        for state in states:
            others = [code for code in states if code != state]
            runtime = self.served[state].runtime
            log_key, cosigners = self._log_keys(state, others)
            folder = self.federation.nodes[state].home / "receipts"
            for message_id in delivered_since(runtime.db):
                deadline = time.monotonic() + PROOF_TIMEOUT
                while True:
                    bundle = receipt_bundle(runtime.db, message_id, quorum=len(others))
                    bundle.write(folder / message_id)
                    try:
                        verify_bundle(folder / message_id, log_key, cosigners, len(others))
                        break
                    except LedgerError:
                        pass  # not yet in a checkpoint every witness cosigned
                    if time.monotonic() > deadline:
                        raise ScenarioFailed(
                            f"{state}: no cosigned proof of the receipt of {message_id} in time"
                        )
                    time.sleep(0.5)
                count += 1
        return count, self.federation.nodes[states[0]].home / "receipts"

    def prove_package(self, state: str, package_id: str, *, witnesses: Sequence[str]) -> Path:
        """Write into ``state``'s copy of the package the proof of each of its events about
        it (``proofs/``, as a download carries them), once a checkpoint all ``witnesses``
        cosigned covers every one; check each offline. Returns the package folder."""
        runtime = self.served[state].runtime
        home = self.federation.nodes[state].home
        log_key, cosigners = self._log_keys(state, witnesses)
        deadline = time.monotonic() + PROOF_TIMEOUT
        while True:
            with runtime.db.session() as session:
                package = session.get(EvidencePackage, package_id)
                if package is None:
                    raise ScenarioFailed(f"{state}: no package {package_id}")
                folder = package_folder(home, package)
            expected = len(package_events(runtime.db, package))
            written = write_proofs(runtime.db, folder, package, quorum=len(cosigners))
            try:
                for proof in written:
                    verify_proof_file(proof.read_bytes(), log_key, cosigners, len(cosigners))
                if expected and len(written) == expected:
                    return folder
            except LedgerError:
                pass  # not yet in a checkpoint every witness cosigned
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"{state}: no cosigned proofs of package {package_id}")
            time.sleep(0.5)

    def _log_keys(
        self, state: str, witnesses: Sequence[str]
    ) -> tuple[Verifier, list[CosignatureVerifier]]:
        """``state``'s log verifier key and the cosigner keys of ``witnesses``' witnesses."""
        keys = {
            code: NodeLogKeys.from_home(self.federation.nodes[code].home)
            for code in (state, *witnesses)
        }
        return keys[state].log_verifier(), [keys[code].witness_verifier() for code in witnesses]

    def _package_status(self, state: str, package_id: str) -> str:
        with self.served[state].runtime.db.session() as session:
            found = session.scalar(
                select(EvidencePackage.status).where(EvidencePackage.id == package_id)
            )
        return found or "(unknown)"

    def status(self, state: str, reference: str) -> str:
        with self.served[state].runtime.db.session() as session:
            found = session.scalar(
                select(CaseRequest.status).where(CaseRequest.reference == reference)
            )
        return found or "(unknown)"

    def _deliver(self, state: str, reference: str) -> None:
        """Wake the sender's worker and wait until every message of the request has its
        receipt (or fail naming the delivery error)."""
        runtime = self.served[state].runtime
        assert runtime.worker is not None
        runtime.worker.wake()
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            with runtime.db.session() as session:
                rows = list(
                    session.scalars(
                        select(OutboxMessage)
                        .join(CaseRequest, CaseRequest.id == OutboxMessage.request_id)
                        .where(CaseRequest.reference == reference)
                    )
                )
            stuck = [r for r in rows if r.status == DeliveryState.QUARANTINED.value]
            if stuck:
                raise ScenarioFailed(f"{reference}: message quarantined: {stuck[0].last_error}")
            if all(r.status == DeliveryState.DELIVERED.value for r in rows):
                return
            if time.monotonic() > deadline:
                errors = "; ".join(sorted({str(r.last_error) for r in rows if r.last_error}))
                raise ScenarioFailed(
                    f"{reference}: not delivered in time ({errors or 'no answer'})"
                )
            time.sleep(0.05)
            runtime.worker.wake()


def _demo_evidence(folder: Path) -> list[Path]:
    """Two small made-up files standing for what a provider handed over."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "access-log.csv"
    log.write_text(
        "time_utc,ip_address,account\n"
        "2026-09-14T08:12:03Z,198.51.100.23,demo-account-1\n"
        "2026-09-14T08:15:41Z,198.51.100.23,demo-account-2\n",
        "utf-8",
    )
    subscriber = folder / "subscriber.txt"
    subscriber.write_text("Subscriber of 198.51.100.23 (demo data, fictional): John Doe\n", "utf-8")
    return [log, subscriber]


def _user(session: Any, username: str) -> Any:
    user = get_user_by_username(session, username)
    if user is None:
        raise ScenarioFailed(f"demo user {username!r} is missing")
    return user


def run_scenario(
    federation: DemoFederation,
    served: dict[str, ServedNode],
    *,
    now: Callable[[], datetime] = utcnow,
) -> ScenarioResult:
    """Play the scenario; the result lists every step, and stops at the first failure."""
    play = _Play(federation, served)
    today = now().date()
    try:
        preservation = play.send(
            "XA", "duty", example_document("preservation", date_of_request=today.isoformat())
        )
        play.check("XA 24/7 asks XB to preserve stored data", preservation, "received", "XA", "XB")
        play.act("XB", "duty", preservation, Action.ACKNOWLEDGE)
        play.check("XB 24/7 acknowledges", preservation, "acknowledged", "XA", "XB")
        until = today + timedelta(days=90)
        play.act(
            "XB",
            "duty",
            preservation,
            Action.PRESERVE,
            until=until,
            reason="Provider ordered to keep the data.",
        )
        play.check(f"XB preserves the data until {until}", preservation, "preserved", "XA", "XB")
        mla = play.send(
            "XA",
            "officer",
            example_document("mla-stored-data", date_of_request=today.isoformat()),
            parent=preservation,
        )
        play.check(
            "XA central authority sends the follow-up MLA; it awaits a supervisor (four eyes)",
            mla,
            "awaiting_approval",
            "XA",
        )
        play.approve("XA", "supervisor", mla)
        play.check(
            "XA's supervisor approves: the follow-up MLA goes to XB (Art. 44)",
            mla,
            "received",
            "XA",
            "XB",
        )
        play.act("XB", "officer", mla, Action.ACKNOWLEDGE)
        play.act("XB", "officer", mla, Action.START)
        play.act(
            "XB",
            "officer",
            mla,
            Action.EXECUTE,
            reason="Data obtained from the provider; evidence follows.",
        )
        play.check("XB executes the follow-up MLA", mla, "executed", "XA", "XB")
        package_id = play.deliver_evidence("XB", "officer", mla)
        play.check_package(
            "XB seals the evidence and delivers it; XA verifies it", mla, package_id, "XA", "XB"
        )
        opened = play.open_evidence("XA", "officer", mla, package_id)
        play.record("XA opens the package: every file matches its hash", mla, "opened", str(opened))
        proof = play.prove_event("XA", mla, "evidence-received", witnesses=("XB", "XC"))
        play.record(
            "XA's log proves the receipt offline, cosigned by XB and XC", mla, "proved", str(proof)
        )
        play.prove_package("XB", package_id, witnesses=("XA", "XC"))
        folder = play.prove_package("XA", package_id, witnesses=("XB", "XC"))
        play.record(
            "Both copies of the package carry the proofs of their events, cosigned by the "
            "other two States",
            mla,
            "package-proved",
            str(folder),
        )
        refused = play.send(
            "XA",
            "officer",
            example_document("mla", date_of_request=today.isoformat(), requested_state="XC"),
        )
        play.approve("XA", "supervisor", refused)
        play.check("XA asks XC for mutual legal assistance", refused, "received", "XA", "XC")
        play.act(
            "XC",
            "officer",
            refused,
            Action.REFUSE,
            ground="domestic-law-bar",
            reason="Cascadian law forbids this measure for the offence described (demo).",
        )
        play.check("XC refuses, with a ground and a reason", refused, "refused", "XA", "XC")
        receipts, folder = play.prove_receipts()
        play.record(
            f"Each of the {receipts} receipts carries its proof, cosigned by the other two States",
            "",
            "receipts-proved",
            str(folder),
        )
    except (ScenarioFailed, CasesError, ExchangeError, EvidenceError, LedgerError) as exc:
        play.result.steps.append(
            Step(len(play.result.steps) + 1, "scenario stopped", "", "", False, str(exc))
        )
    return play.result

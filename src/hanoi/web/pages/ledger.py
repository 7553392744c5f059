"""The ledger page: the node's transparency log as its users see it.

Tree size, the latest signed checkpoint (and its note, as served at /ledger/checkpoint), the
verifier key to hand to anyone who wants to check the log, the witnesses' cosignatures in
that checkpoint, and alerts. Readable by users who read requests or the audit log.

The checkpoint is shown with the cosignatures gathered for it. The log's verifier key is the
node's signing key under the checkpoint's origin (the log signs with the node's Ed25519
key). Witnesses' keys are derived from the other States' entries in the node's verified
directory; cosignatures by keys not known are listed as unverified. The page also shows the
witness policy (the node's quorum and witnesses settings) and each witness's latest
cosignature.

The page's words are worded here (:func:`plain_summary`, the alerts) as ``wording`` values and
written in the page's language where the template shows them; the witnessing States are
named in that language too (:mod:`hanoi.web.state_names`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.accounts.permissions import Permission, allowed
from hanoi.crypto.cosignature import CosignatureVerifier, cosignatures_of
from hanoi.crypto.note import SIGNATURE_PREFIX, NoteError, Verifier, open_note
from hanoi.db.database import Database
from hanoi.directory.errors import DirectoryError
from hanoi.directory.view import DirectoryView
from hanoi.errors import NotAllowed
from hanoi.exchange.errors import NoDirectory
from hanoi.exchange.identity import LocalNode
from hanoi.ledger import store
from hanoi.ledger.keys import state_of_witness, witness_verifiers_for_entry
from hanoi.ledger.service import checkpoint_with_cosignatures
from hanoi.ledger.witnessing import latest_cosignatures, split_views
from hanoi.web import auth
from hanoi.web.deps import Services
from hanoi.web.i18n import N_, Counted, Later, Wording, number, nwording, utc_time, wording
from hanoi.web.state_names import StateNames
from hanoi.web.templating import page

router = APIRouter()

NO_SPLIT_VIEW = N_("No split view detected.")


@dataclass(frozen=True)
class WitnessLine:
    """One cosignature in the checkpoint note: by whom, when (verified ones only)."""

    name: str
    key_hash: int
    verified: bool
    cosigned_at: datetime | None = None
    size: int | None = None


@dataclass
class LedgerView:
    """What the page shows; built by :func:`ledger_view`, independent of HTTP."""

    tree_size: int
    checkpoint: store.StoredCheckpoint | None
    root_b64: str | None = None
    note_text: str | None = None
    verifier_key: str | None = None
    witnesses: list[WitnessLine] = field(default_factory=list)
    latest_by_witness: list[WitnessLine] = field(default_factory=list)
    """Each witness's latest cosignature of this log, whatever checkpoint it was for."""
    alerts: list[Wording] = field(default_factory=list)


def signature_lines(note: bytes) -> list[tuple[str, int]]:
    """(key name, key hash) of each well-formed signature line of ``note``, in order; a
    line that cannot be read is skipped (the page only lists, it never trusts these)."""
    text = note.decode("utf-8", errors="replace")
    split = text.rfind("\n\n")
    if split < 0:
        return []
    found: list[tuple[str, int]] = []
    for line in text[split + 2 :].splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            continue
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if name and len(raw) >= 4:
            found.append((name, int.from_bytes(raw[:4], "big")))
    return found


def ledger_view(
    db: Database,
    log_verifier: Verifier | None,
    cosigners: Sequence[CosignatureVerifier] = (),
) -> LedgerView:
    """The page's content: ``log_verifier`` is the log's own key (None when unknown),
    ``cosigners`` the witnesses' keys known to this node."""
    with db.session() as session:
        size = store.tree_size(session)
        latest = store.latest_checkpoint(session)
    view = LedgerView(tree_size=size, checkpoint=latest)
    view.latest_by_witness = [
        WitnessLine(name, 0, True, datetime.fromtimestamp(at, UTC), size)
        for name, size, at in latest_cosignatures(db)
    ]
    if latest is None:
        return view
    view.root_b64 = base64.b64encode(latest.root).decode("ascii")
    note = checkpoint_with_cosignatures(db, latest.size)
    view.note_text = note.decode("utf-8", errors="replace")
    own = log_verifier if log_verifier is not None and log_verifier.name == latest.origin else None
    if own is None:
        view.alerts.append(
            wording(
                "This node's verifier key for the log is not known here; the checkpoint's "
                "signature was not checked."
            )
        )
        view.witnesses = _unverified(signature_lines(note), latest.origin)
        return view
    try:
        opened = open_note(note, [own, *cosigners])
    except NoteError as exc:
        view.alerts.append(
            wording("The latest checkpoint does not verify: %(problem)s", problem=str(exc))
        )
        view.witnesses = _unverified(signature_lines(note), latest.origin)
        return view
    if not opened.verified_by(own):
        view.alerts.append(wording("The latest checkpoint is not signed by this node's key."))
    else:
        view.verifier_key = own.key_string()
    view.witnesses = [
        WitnessLine(
            name=c.name,
            key_hash=c.key_hash,
            verified=True,
            cosigned_at=datetime.fromtimestamp(c.timestamp, UTC),
        )
        for c in cosignatures_of(opened, cosigners)
    ]
    view.witnesses += _unverified(((s.name, s.key_hash) for s in opened.unverified), latest.origin)
    return view


def _unverified(lines: Iterable[tuple[str, int]], origin: str) -> list[WitnessLine]:
    return [
        WitnessLine(name=name, key_hash=key_hash, verified=False)
        for name, key_hash in lines
        if name != origin
    ]


Sentence = Wording | Counted


def plain_summary(
    view: LedgerView, quorum: int, directory: DirectoryView | None = None
) -> list[list[Sentence]]:
    """The page's first paragraphs: what the log holds and how far it can be trusted, in an
    officer's words (each paragraph a list of sentences, written in the page's language
    where it is shown); the figures behind them follow on the page. ``directory`` names
    the witnessing States (their codes without it)."""
    said: list[list[Sentence]] = [
        [
            nwording(
                "This node's log holds %(num)s entry: every request sent, received or acted on "
                "and every evidence step, each as a salted commitment that reveals nothing of "
                "the case.",
                "This node's log holds %(num)s entries: every request sent, received or acted "
                "on and every evidence step, each as a salted commitment that reveals nothing "
                "of the case.",
                view.tree_size,
            )
        ]
    ]
    checkpoint = view.checkpoint
    if checkpoint is None:
        said.append(
            [wording("The node has not signed the log yet: nothing in it can be proved so far.")]
        )
        return said
    signed: list[Sentence] = [
        nwording(
            "The node last signed it on %(when)s, covering %(num)s entry.",
            "The node last signed it on %(when)s, covering %(num)s entries.",
            checkpoint.size,
            when=Later(utc_time, checkpoint.created_at),
        )
    ]
    newer = view.tree_size - checkpoint.size
    if newer > 0:
        signed.append(
            nwording(
                "The one newer entry is covered at the next signature.",
                "The %(num)s newer entries are covered at the next signature.",
                newer,
            )
        )
    said.append(signed)
    witnessed = [state_of_witness(w.name) or w.name for w in view.witnesses if w.verified]
    needed = Later(number, quorum)
    if not witnessed:
        said.append(
            [
                wording(
                    "No other State has countersigned that signature yet (%(quorum)s needed): "
                    "until one does, proofs from this log rest on this node's word alone.",
                    quorum=needed,
                )
            ]
        )
    elif len(witnessed) >= quorum:
        said.append(
            [
                nwording(
                    "%(num)s other State countersigned it (%(states)s), enough: this node "
                    "could not show them a different history without being caught.",
                    "%(num)s other States countersigned it (%(states)s), enough: this node "
                    "could not show them a different history without being caught.",
                    len(witnessed),
                    states=StateNames(witnessed, directory),
                )
            ]
        )
    else:
        said.append(
            [
                nwording(
                    "%(num)s other State countersigned it (%(states)s), fewer than the "
                    "%(quorum)s needed: this node could not show them a different history "
                    "without being caught.",
                    "%(num)s other States countersigned it (%(states)s), fewer than the "
                    "%(quorum)s needed: this node could not show them a different history "
                    "without being caught.",
                    len(witnessed),
                    states=StateNames(witnessed, directory),
                    quorum=needed,
                )
            ]
        )
    return said


def node_log_verifier(node: LocalNode | None, origin: str | None) -> Verifier | None:
    """The log's verifier: the node's key under ``origin`` (None without a node)."""
    if node is None or origin is None:
        return None
    try:
        return Verifier.for_key(origin, node.signing_key.key.public_key())
    except NoteError:
        return None


def directory_cosigners(node: LocalNode | None) -> tuple[CosignatureVerifier, ...]:
    """The other States' witness keys, from the node's verified directory (none if the node
    has no identity or no directory yet)."""
    if node is None:
        return ()
    try:
        entries = node.peers.entries()
    except (NoDirectory, DirectoryError):  # none pinned yet, or unreadable: listed unverified
        return ()
    return tuple(
        key
        for code, entry in sorted(entries.items())
        if code != node.state
        for key in witness_verifiers_for_entry(entry)
    )


@router.get("/ledger")
def ledger_page(request: Request, services: Services) -> Response:
    db, node, settings = services.db, services.node, services.settings
    user = auth.require_user(request, db)
    if not (
        allowed(user.role, Permission.READ_AUDIT) or allowed(user.role, Permission.READ_REQUESTS)
    ):
        raise NotAllowed("the user's role does not allow this")
    with db.session() as session:
        latest = store.latest_checkpoint(session)
    verifier = node_log_verifier(node, latest.origin if latest else None)
    view = ledger_view(db, verifier, directory_cosigners(node))
    # Split views this node's witness caught in other States' logs: evidence, shown to all.
    caught = split_views(db)
    for seen in caught:
        view.alerts.append(
            wording(
                "Split view: %(origin)s signed two different checkpoints of size %(size)s "
                "(detected %(when)s); both notes are kept as evidence.",
                origin=seen.origin,
                size=Later(number, seen.size),
                when=Later(utc_time, seen.detected_at),
            )
        )
    directory = DirectoryView(settings.home)
    policy = {
        "quorum": settings.ledger_quorum,
        # None: every other State in the directory (the template says so).
        "witnesses": StateNames(settings.ledger_witnesses, directory)
        if settings.ledger_witnesses
        else None,
    }
    return page(
        request,
        "ledger.html",
        {
            "user": user,
            "view": view,
            "policy": policy,
            "summary": plain_summary(view, settings.ledger_quorum, directory),
            "no_split_view": None if caught else NO_SPLIT_VIEW,
        },
    )

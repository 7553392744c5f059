"""`hanoi request send|condition|act`: the requests this node exchanges with other States'
nodes, each change told to the other State's node. Reading them (`list`, `show`,
`deadlines`) is :mod:`hanoi.cli.request_view`.

These commands act as a user of this node (--user, or $HANOI_USER): whoever runs them can
read the node's folder and keys anyway, so naming the user is about the audit trail and
need-to-know (a user sees only their authority's requests), not about authentication.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select

from hanoi.cases.acting import act, attach_condition
from hanoi.cases.documents import MAX_DOCUMENT_BYTES, parse_document
from hanoi.cases.errors import RequestNotReady, UnknownAuthority
from hanoi.cases.lifecycle import SYSTEM_ACTIONS, Action, ActionRequest, Status
from hanoi.cases.models import CaseRequest
from hanoi.cases.sending import send_request
from hanoi.cli.context import ActingUser, AsJson, NodeContext, NodeHome, open_node
from hanoi.cli.errors import EXIT_INVALID, fail, guarded
from hanoi.cli.files import read_bounded
from hanoi.cli.output import console, print_json
from hanoi.db import Database
from hanoi.exchange.models import OutboxMessage

app = typer.Typer()

#: How long send/act wait for the outcome of a delivery another worker has taken over.
SETTLE_WAIT = 10.0


def deliver_and_report(context: NodeContext, reference: str) -> list[dict[str, Any]]:
    """Deliver, then report the request's messages once the newest has an outcome.

    A running node's own worker may have taken the message first: wait a little for its
    outcome (delivered, refused, or a failed attempt) rather than report it unknown.
    """
    context.deliver()
    deadline = time.monotonic() + SETTLE_WAIT
    while True:
        messages = _delivery(context.db, reference)
        last = messages[-1] if messages else None
        if last is None or last["delivery"] != "pending" or last["attempts"] > 0:
            return messages
        if time.monotonic() > deadline:
            return messages
        time.sleep(0.1)


def _delivery(db: Database, reference: str) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .join(CaseRequest, CaseRequest.id == OutboxMessage.request_id)
            .where(CaseRequest.reference == reference)
            .order_by(OutboxMessage.seq)
        )
        return [
            {
                "message_id": r.message_id,
                "type": r.message_type,
                "to": r.recipient_authority,
                "delivery": r.status,
                "attempts": r.attempts,
                "error": r.last_error,
            }
            for r in rows
        ]


def delivery_line(messages: list[dict[str, Any]]) -> str:
    last = messages[-1]
    if last["delivery"] == "delivered":
        return f"delivered to {last['to']}; signed receipt stored"
    if last["delivery"] == "quarantined":
        return f"REFUSED by {last['to']} (quarantined): {last['error']}"
    return f"queued for {last['to']}; not delivered yet ({last['error'] or 'waiting'}), retried"


@app.command()
@guarded
def send(
    file: Path = typer.Argument(..., help="The request document (JSON)."),
    *,
    user: ActingUser,
    to: str | None = typer.Option(
        None, "--to", help="Authority code to address (default: from the instrument's channels)."
    ),
    follows: str | None = typer.Option(
        None, "--follows", help="Reference of the preservation this request follows."
    ),
    forwards: str | None = typer.Option(
        None,
        "--forwards",
        help="Reference of a request whose data this one passes to a third State "
        "(needs its source's recorded authorisation, Art. 36).",
    ),
    condition: list[str] = typer.Option(
        [],
        "--condition",
        help="KIND:TEXT, a condition on use: confidentiality, speciality or data-protection "
        "(repeatable).",
    ),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Check, sign, encrypt and send a request to the requested State's node.

    Prints its reference. Where the authority needs a supervisor's approval for this kind,
    the request waits for it ('hanoi request approve'). Exit 1 if the request does not pass
    the check."""
    document = parse_document(read_bounded(file, MAX_DOCUMENT_BYTES))
    with open_node(home) as context:
        with context.db.session() as session:
            try:
                case = send_request(
                    session,
                    context.node,
                    user=context.user(session, user),
                    document=document,
                    to_authority=to,
                    parent_reference=follows,
                    forwards=forwards,
                    conditions=[_condition_option(c) for c in condition],
                )
            except RequestNotReady as exc:
                for problem in exc.problems:
                    console.print(f"error    {problem}")
                console.print(
                    f"{file}: not sent — {len(exc.problems)} error(s); see 'hanoi request check'."
                )
                raise typer.Exit(EXIT_INVALID) from None
            except UnknownAuthority as exc:
                # Like a request that fails the check: the request itself is wrong, exit 1.
                fail(f"{file}: not sent — {exc}", EXIT_INVALID)
            reference, status = case.reference, case.status
        if status == Status.AWAITING_APPROVAL:
            messages = []  # nothing leaves before a supervisor approves
        else:
            messages = deliver_and_report(context, reference)
    if as_json:
        print_json({"reference": reference, "status": status, "messages": messages})
        return
    print(reference)
    if status == Status.AWAITING_APPROVAL:
        console.print("Awaiting a supervisor's approval: 'hanoi request approve' sends it.")
    else:
        console.print(delivery_line(messages))


def _condition_option(value: str) -> tuple[str, str]:
    kind, sep, text = value.partition(":")
    if not sep or not text.strip():
        fail(f"--condition {value!r}: write KIND:TEXT, e.g. speciality:Only for case 123")
    return kind.strip(), text


@app.command("condition")
@guarded
def condition_(
    reference: str = typer.Argument(..., help="The request's reference."),
    kind: str = typer.Argument(
        ..., help="confidentiality, speciality, data-protection or onward-transfer."
    ),
    text: str = typer.Argument(..., help="The condition, or the terms of the authorisation."),
    to: str | None = typer.Option(
        None, "--to", help="onward-transfer: the third State the data may go to."
    ),
    *,
    user: ActingUser,
    home: NodeHome = None,
) -> None:
    """Attach a condition on use to a request, or authorise onward transfer.

    Onward transfer: the other State may pass the request's data to a third
    State (Art. 36). The other node is told."""
    with open_node(home) as context:
        with context.db.session() as session:
            attach_condition(
                session,
                context.node,
                user=context.user(session, user),
                reference=reference,
                kind=kind,
                text=text,
                to=to,
            )
        messages = deliver_and_report(context, reference)
    console.print(f"{reference}: {kind} recorded; {delivery_line(messages)}")


@app.command("act")
@guarded
def act_(
    reference: str = typer.Argument(..., help="The request's reference."),
    action: str = typer.Argument(
        ...,
        help="acknowledge, start, execute, execute-partially, refuse, postpone, preserve, "
        "extend, release, withdraw, inquire, reply or consult.",
    ),
    *,
    user: ActingUser,
    reason: str | None = typer.Option(None, "--reason", help="Why (required by some actions)."),
    ground: str | None = typer.Option(None, "--ground", help="Refusal or postponement ground id."),
    until: str | None = typer.Option(
        None, "--until", help="Preserve or extend until DATE (YYYY-MM-DD)."
    ),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Act on a request (acknowledge it, preserve the data, refuse it, ...) and tell the
    other State's node."""
    chosen = next((a for a in Action if a.value == action and a not in SYSTEM_ACTIONS), None)
    if chosen is None:
        fail(f"unknown action {action!r}; see 'hanoi request act --help'")
    try:
        day = date.fromisoformat(until) if until is not None else None
    except ValueError:
        fail(f"--until {until!r} is not a date like 2027-03-01")
    with open_node(home) as context:
        with context.db.session() as session:
            case = act(
                session,
                context.node,
                user=context.user(session, user),
                reference=reference,
                request=ActionRequest(chosen, reason=reason, ground=ground, until=day),
            )
            status = case.status
        messages = deliver_and_report(context, reference)
    if as_json:
        print_json({"reference": reference, "status": status, "messages": messages})
    else:
        console.print(f"{reference}: {status}; {delivery_line(messages)}")

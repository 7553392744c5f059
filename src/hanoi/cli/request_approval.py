"""`hanoi request approvals|approve|return|discard`: four eyes before a request leaves the
State.

A supervisor lists what waits for them, approves a request (it is sent at once) or returns
it to its drafters with a comment; an officer of the authority may discard one that should
not leave after all. As the other request commands, these act as a user of
this node (--user, or $HANOI_USER); the four-eyes rule holds here too: nobody approves a
request they submitted.
"""

from __future__ import annotations

import typer

from hanoi.cases.approval import approve, awaiting_approval, discard, return_request
from hanoi.cli.context import ActingUser, AsJson, NodeHome, open_node
from hanoi.cli.errors import guarded
from hanoi.cli.output import console, print_json
from hanoi.cli.request_exchange import deliver_and_report, delivery_line

app = typer.Typer()


@app.command("approvals")
@guarded
def approvals(user: ActingUser, as_json: AsJson = False, home: NodeHome = None) -> None:
    """The requests of your authority that wait for a supervisor's approval, oldest first."""
    with open_node(home) as context, context.db.session() as session:
        rows = [
            {
                "reference": case.reference,
                "kind": case.kind,
                "to": case.requested_authority,
                "submitted_by": case.submitted_by,
                "since": case.updated_at.isoformat(timespec="minutes"),
            }
            for case in awaiting_approval(session, user=context.user(session, user))
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("Nothing waits for approval.")
    for row in rows:
        console.print(
            f"{row['reference']}  {row['kind']:<16} to {row['to']:<10} "
            f"by {row['submitted_by']}  since {row['since']}"
        )


@app.command("approve")
@guarded
def approve_(
    reference: str = typer.Argument(..., help="The request's reference."),
    *,
    user: ActingUser,
    comment: str | None = typer.Option(None, "--comment", help="A note for the timeline."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Approve a request awaiting approval: it is sent to the requested State at once."""
    with open_node(home) as context:
        with context.db.session() as session:
            case = approve(
                session,
                context.node,
                user=context.user(session, user),
                reference=reference,
                comment=comment,
            )
            status = case.status
        messages = deliver_and_report(context, reference)
    if as_json:
        print_json({"reference": reference, "status": status, "messages": messages})
    else:
        console.print(f"{reference}: approved; {delivery_line(messages)}")


@app.command("return")
@guarded
def return_(
    reference: str = typer.Argument(..., help="The request's reference."),
    *,
    user: ActingUser,
    comment: str = typer.Option(..., "--comment", help="What the drafters must change."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Return a request awaiting approval to its drafters, saying what to change."""
    with open_node(home) as context, context.db.session() as session:
        case = return_request(
            session, user=context.user(session, user), reference=reference, comment=comment
        )
        status = case.status
    if as_json:
        print_json({"reference": reference, "status": status})
    else:
        console.print(f"{reference}: returned to its drafters.")


@app.command("discard")
@guarded
def discard_(
    reference: str = typer.Argument(..., help="The request's reference."),
    *,
    user: ActingUser,
    reason: str | None = typer.Option(None, "--reason", help="Why, for the timeline."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Discard a request awaiting approval or returned: it never leaves the State."""
    with open_node(home) as context, context.db.session() as session:
        case = discard(
            session, user=context.user(session, user), reference=reference, reason=reason
        )
        status = case.status
    if as_json:
        print_json({"reference": reference, "status": status})
    else:
        console.print(f"{reference}: discarded; it was never sent, and its draft is closed.")

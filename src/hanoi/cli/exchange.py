"""`hanoi exchange outbox|retry`: the node operator's view of its outbox, and retrying after
a fix. The receipts and their proofs are :mod:`hanoi.cli.exchange_receipts`."""

from __future__ import annotations

import typer

from hanoi.cli.context import AsJson, NodeHome, open_database
from hanoi.cli.errors import guarded
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings
from hanoi.exchange.outbox_admin import list_outbox, requeue

app = typer.Typer()


@app.command("outbox")
@guarded
def outbox(
    status: str | None = typer.Option(
        None, "--status", help="pending, delivered or quarantined (default: all)."
    ),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """The newest messages this node sent or is sending, with their delivery state."""
    with open_database(load_settings(home)) as db, db.session() as session:
        rows = [
            {
                "message_id": m.message_id,
                "type": m.message_type,
                "to": m.recipient_authority,
                "status": m.status,
                "attempts": m.attempts,
                "created_at": m.created_at.isoformat(),
                "next_attempt_at": m.next_attempt_at.isoformat(),
                "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None,
                "error": m.last_error,
            }
            for m in list_outbox(session, status=status)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("The outbox is empty.")
    for row in rows:
        console.print(
            f"{row['message_id']}  {row['type']:<17} → {row['to']:<8} {row['status']:<11} "
            f"attempts {row['attempts']}  {row['error'] or ''}"
        )


@app.command("retry")
@guarded
def retry(
    message_id: str = typer.Argument(..., help="A quarantined message's id."),
    home: NodeHome = None,
) -> None:
    """Queue a quarantined message again, once what made the other node refuse it is fixed.

    For instance after a directory refresh that brought a peer's new key."""
    with open_database(load_settings(home)) as db, db.session() as session:
        requeue(session, message_id, actor="cli")
    console.print(f"{message_id} queued again; the node's worker sends it.")

"""`hanoi exchange ...`: the node operator's view of its outbox, and retrying after a fix."""

from __future__ import annotations

from pathlib import Path

import typer

from hanoi.cli.errors import guarded
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings

app = typer.Typer(help="Messages to other States' nodes: the outbox.", no_args_is_help=True)

HOME_OPTION = typer.Option(
    None, "--home", help="The node's folder (default $HANOI_HOME or ./hanoi-data)."
)


def _database(home: Path | None):  # type: ignore[no-untyped-def]
    from hanoi.db import Database, upgrade

    settings = load_settings(home)
    upgrade(settings.database_url)
    return Database(settings.database_url)


@app.command("outbox")
@guarded
def outbox(
    status: str | None = typer.Option(
        None, "--status", help="pending, delivered or quarantined (default: all)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the messages as JSON."),
    home: Path | None = HOME_OPTION,
) -> None:
    """The newest messages this node sent or is sending, with their delivery state."""
    from hanoi.exchange.delivery import list_outbox

    db = _database(home)
    try:
        with db.session() as session:
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
    finally:
        db.dispose()
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
    home: Path | None = HOME_OPTION,
) -> None:
    """Queue a quarantined message again, once what made the other node refuse it is fixed
    (e.g. after a directory refresh that brought a peer's new key)."""
    from hanoi.exchange.delivery import requeue

    db = _database(home)
    try:
        with db.session() as session:
            requeue(session, message_id, actor="cli")
    finally:
        db.dispose()
    console.print(f"{message_id} queued again; the node's worker sends it.")

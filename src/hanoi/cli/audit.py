"""`hanoi audit verify`: check that nobody rewrote the node's audit trail."""

from __future__ import annotations

import typer

from hanoi.cli.context import AsJson, NodeHome, open_database
from hanoi.cli.errors import EXIT_INVALID, guarded
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings

app = typer.Typer()


@app.command("verify")
@guarded
def verify(
    home: NodeHome = None,
    full: bool = typer.Option(
        False,
        "--full",
        help="Verify every event from the first, not only those since the last check.",
    ),
    as_json: AsJson = False,
) -> None:
    """Verify the audit trail's hash chain; exit 1 naming the events that fail.

    By default only the events added since the last verified checkpoint (as the audit
    page does), plus the checkpoint's own event; --full verifies every event, which also
    finds a change to an older one. The checkpoint then moves up to the newest event
    before the first failure."""
    from hanoi.audit import verify as verify_chain  # the node's own modules: see cli/context

    settings = load_settings(home)
    with open_database(settings) as db, db.session() as session:
        check = verify_chain(session, full=full)
    if as_json:
        print_json(
            {
                "intact": not check.broken,
                "broken": check.broken,
                "checked": check.checked,
                "checkpoint": check.checkpoint,
                "full": check.full,
            }
        )
    else:
        scope = "from the first event" if full else "since the last checkpoint"
        console.print(f"{check.checked} audit events verified {scope}.")
        for event_id in check.broken:
            console.print(f"BROKEN  event {event_id}: its hash or its link does not hold")
        state = "broken" if check.broken else "intact"
        console.print(f"Hash chain {state}; verified up to event {check.checkpoint}.")
    if check.broken:
        raise typer.Exit(EXIT_INVALID)

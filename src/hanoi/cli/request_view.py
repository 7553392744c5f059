"""`hanoi request list|show|deadlines`: the requests of your authority as they stand, read
from the node's database; nothing here changes a request or sends a message (that is
:mod:`hanoi.cli.request_exchange`).

These commands act as a user of this node (--user, or $HANOI_USER), for need-to-know: a
user sees only their authority's requests, and viewing one is audited.
"""

from __future__ import annotations

import typer

from hanoi.cases.access import get_request
from hanoi.cases.queries import Box, list_requests, request_deadlines
from hanoi.cases.views import deadline_view, request_detail, request_summary
from hanoi.cli.context import ActingUser, AsJson, NodeHome, open_node
from hanoi.cli.errors import fail, guarded
from hanoi.cli.output import console, print_json
from hanoi.db.base import utcnow

app = typer.Typer()


@app.command("list")
@guarded
def list_(
    user: ActingUser,
    inbox: bool = typer.Option(False, "--inbox", help="Only requests received."),
    outbox: bool = typer.Option(False, "--outbox", help="Only requests sent."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """The requests of your authority, newest first."""
    if inbox and outbox:
        fail("--inbox and --outbox exclude each other")
    box: Box = "inbox" if inbox else "outbox" if outbox else "all"
    with open_node(home) as context, context.db.session() as session:
        rows = [
            request_summary(case, ack_hours_24_7=context.settings.ack_hours_24_7)
            for case in list_requests(session, user=context.user(session, user), box=box)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No requests.")
    for row in rows:
        other = (
            row["requested_authority"]
            if row["side"] == "requesting"
            else row["requesting_authority"]
        )
        arrow = "→" if row["side"] == "requesting" else "←"
        due = f"  due {row['next_deadline']['due']}" if row["next_deadline"] else ""
        console.print(
            f"{row['reference']}  {row['kind']:<22} {arrow} {other:<10} {row['status']}{due}"
        )


@app.command()
@guarded
def show(
    reference: str = typer.Argument(..., help="The request's reference, e.g. XA-2026-000001."),
    *,
    user: ActingUser,
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """One request: its status, deadlines, what you may do now, and its whole timeline."""
    with open_node(home) as context, context.db.session() as session:
        account = context.user(session, user)
        case = get_request(session, user=account, reference=reference)
        data = request_detail(
            session, case, account, ack_hours_24_7=context.settings.ack_hours_24_7
        )
    if as_json:
        print_json(data)
        return
    console.print(f"{data['reference']}  {data['kind']}  {data['status']}")
    console.print(
        f"  from {data['requesting_authority']} to {data['requested_authority']}"
        f"  ({data['side']} side)"
    )
    if data["preserved_until"]:
        console.print(f"  preserved until {data['preserved_until']}")
    if data["parent_reference"]:
        console.print(f"  {data['relation']} of {data['parent_reference']}")
    for item in data["conditions"]:
        target = f" to {item['to']}" if item.get("to") else ""
        console.print(
            f"  condition ({item['kind']}{target}, set by {item['state']}): {item['text']}"
        )
    for deadline in data["deadlines"]:
        console.print(
            f"  deadline: {deadline['label']} by {deadline['due']} ({deadline['article']})"
        )
    console.print(f"  you may: {', '.join(data['actions']) or 'nothing now'}")
    console.print("Timeline:")
    for item in data["timeline"]:
        detail = "; ".join(f"{k}: {v}" for k, v in item["detail"].items())
        console.print(
            f"  {item['at'][:19]}  {item['what']:<16} {item['actor']:<10} "
            f"{item['status'] or ''}  {detail}"
        )


@app.command()
@guarded
def deadlines(
    user: ActingUser,
    overdue_only: bool = typer.Option(False, "--overdue", help="Only deadlines already passed."),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Open deadlines of your authority's requests, overdue first, then by due time."""
    now = utcnow()
    with open_node(home) as context, context.db.session() as session:
        rows = [
            {"reference": case.reference, "kind": case.kind, "status": case.status}
            | deadline_view(d)
            | {
                "state": "overdue"
                if d.is_overdue(now)
                else "reminder"
                if d.reminder_due(now)
                else "open"
            }
            for case in list_requests(session, user=context.user(session, user))
            for d in request_deadlines(case, ack_hours_24_7=context.settings.ack_hours_24_7)
        ]
    rows.sort(key=lambda r: (r["state"] != "overdue", r["due"]))
    if overdue_only:
        rows = [r for r in rows if r["state"] == "overdue"]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No open deadlines.")
    for row in rows:
        mark = {"overdue": "OVERDUE ", "reminder": "soon    ", "open": "        "}[row["state"]]
        console.print(
            f"{mark}{row['due'][:16]}  {row['reference']}  {row['label']} ({row['article']})"
        )

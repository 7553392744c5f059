"""`hanoi request ...`: draft, check and render request documents."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hanoi.cli.errors import EXIT_INVALID, EXIT_OK, fail, guarded
from hanoi.cli.files import read_bounded, write_atomic
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings

# The request models, the checker, the renderer (jinja2, babel) and the directory are
# imported by the commands that use them: `hanoi` imports this module whatever command it
# runs (and `hanoi evidence` commands import NodeContext from it).
if TYPE_CHECKING:
    from hanoi.cases.check import CheckReport
    from hanoi.cases.documents import RequestDocument
    from hanoi.directory.states import StateDirectory

app = typer.Typer(help="Draft, check and render cooperation requests.", no_args_is_help=True)


# Typer needs these choices to register the commands, on every run: importing them from
# hanoi.convention (KINDS) and hanoi.cases.render (LetterLanguage, LetterFormat) would load
# the Convention's models and the renderer each time. So they are repeated here, and the
# commands that import the originals anyway (`new`, `render`) refuse to run if they differ.

#: Every request kind, in hanoi.convention.KINDS's order.
REQUEST_KINDS: tuple[str, ...] = (
    "preservation",
    "traffic-disclosure",
    "mla",
    "mla-stored-data",
    "realtime-traffic",
    "interception",
    "extradition",
    "police-information",
    "spontaneous-information",
    "confiscation",
)


class LetterLanguageChoice(StrEnum):
    """--lang: the values of hanoi.cases.render.LetterLanguage."""

    EN = "en"
    FR = "fr"


class LetterFormatChoice(StrEnum):
    """--format: the values of hanoi.cases.render.LetterFormat."""

    HTML = "html"
    PDF = "pdf"


def _same_choices(what: str, offered: Iterable[str], defined: Iterable[str]) -> None:
    """Refuse to run on a stale copy of a list of choices (a bug, caught by any test of the
    command): a value the CLI lacks could not be chosen, one it has extra would fail late."""
    copy, original = tuple(map(str, offered)), tuple(map(str, defined))
    if copy != original:
        raise RuntimeError(
            f"hanoi.cli.request offers the {what} {copy}, but {original} are defined: "
            "update the copy in hanoi/cli/request.py"
        )


HOME_OPTION = typer.Option(
    None,
    "--home",
    help="Node folder whose verified directory names the States "
    "(default $HANOI_HOME or ./hanoi-data; the demo States if it has none).",
)


def _load(path: Path) -> RequestDocument:
    from hanoi.cases.documents import MAX_DOCUMENT_BYTES, parse_document

    return parse_document(read_bounded(path, MAX_DOCUMENT_BYTES))


def _states(home: Path | None) -> StateDirectory:
    from hanoi.directory.view import node_directory

    return node_directory(load_settings(home).home)


@app.command()
@guarded
def new(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(REQUEST_KINDS)}."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the blank request."),
    requesting_state: str | None = typer.Option(None, help="ISO 3166 code of your State."),
    requested_state: str | None = typer.Option(None, help="ISO 3166 code of the requested State."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
) -> None:
    """Write a blank request of KIND, ready to fill in and check."""
    from hanoi.cases.documents import KINDS, new_document

    _same_choices("request kinds", REQUEST_KINDS, KINDS)
    if kind not in KINDS:
        fail(f"unknown request kind {kind!r}; choose one of: {', '.join(KINDS)}")
    doc = new_document(kind, requesting_state=requesting_state, requested_state=requested_state)
    text = json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    write_atomic(out, text.encode(), overwrite=force)
    console.print(
        f"Wrote a blank {kind} request to {out}. Fill it in, then: hanoi request check {out}"
    )


@app.command()
@guarded
def check(
    file: Path = typer.Argument(..., help="The request document (JSON), or - for stdin."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    home: Path | None = HOME_OPTION,
) -> None:
    """Check a request against its article: exit 0 complete, 1 problems found, 2 unusable."""
    from hanoi.cases.check import check_document

    report = check_document(_load(file), directory=_states(home))
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        _print_report(file, report)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_INVALID)


def _print_report(file: Path, report: CheckReport) -> None:
    """One block per problem: severity and full field path, the message, the article.

    Blocks rather than a table, so nothing is cut short in a narrow terminal or a CI log.
    """
    if not report.problems:
        console.print(f"{file}: complete — every element of the {report.kind} request is present.")
        return
    for p in report.problems:
        console.print(f"{p.severity:<8} {p.path or '(document)'}")
        console.print(f"         {p.message}")
        console.print(f"         {p.article} ({p.confidence})")
    verdict = "incomplete" if not report.ok else "complete, with warnings"
    console.print(f"{file}: {verdict} — {report.errors} error(s), {report.warnings} warning(s).")


@app.command()
@guarded
def render(
    file: Path = typer.Argument(..., help="The request document (JSON)."),
    lang: LetterLanguageChoice = typer.Option(
        LetterLanguageChoice.EN, "--lang", help="Language of the letter."
    ),
    fmt: LetterFormatChoice = typer.Option(
        LetterFormatChoice.HTML, "--format", help="html or pdf."
    ),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the letter."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    home: Path | None = HOME_OPTION,
) -> None:
    """Render the formal request letter, citing the articles, as HTML or PDF."""
    from hanoi.cases.render import LetterFormat, LetterLanguage, render_html, render_pdf

    _same_choices("letter languages", LetterLanguageChoice, LetterLanguage)
    _same_choices("letter formats", LetterFormatChoice, LetterFormat)
    doc = _load(file)
    states = _states(home)
    if fmt is LetterFormatChoice.PDF:
        data = render_pdf(doc, lang.value, directory=states)
    else:
        data = render_html(doc, lang.value, directory=states).encode()
    write_atomic(out, data, overwrite=force)
    console.print(f"Wrote the {lang.value} letter to {out}.")


# --- requests exchanged with other States -------------------------------------------------
#
# These commands act as a user of this node (--user, or $HANOI_USER): whoever runs them can
# read the node's folder and keys anyway, so naming the user is about the audit trail and
# need-to-know (a user sees only their authority's requests), not about authentication.

USER_OPTION = typer.Option(
    ..., "--user", envvar="HANOI_USER", help="Act as this user of the node (or $HANOI_USER)."
)
NODE_HOME_OPTION = typer.Option(
    None, "--home", help="The node's folder (default $HANOI_HOME or ./hanoi-data)."
)


#: How long send/act wait for the outcome of a delivery another worker has taken over.
SETTLE_WAIT = 10.0


class NodeContext:
    """The node's settings, database and identity, opened once per command."""

    def __init__(self, home: Path | None) -> None:
        from hanoi.db import Database, upgrade
        from hanoi.exchange.identity import LocalNode
        from hanoi.node import has_node

        self.settings = load_settings(home)
        if not has_node(self.settings.home):
            fail(f"{self.settings.home} has no node identity: run 'hanoi node init' first")
        upgrade(self.settings.database_url)
        self.db = Database(self.settings.database_url)
        self.node = LocalNode.load(self.settings.home)

    def user(self, session: Any, username: str) -> Any:
        from hanoi.accounts.service import get_user_by_username

        user = get_user_by_username(session, username)
        if user is None or user.disabled:
            fail(f"no active user {username!r} at this node")
        return user

    def deliver(self) -> None:
        """Try to send what is queued now; the node's worker retries whatever fails."""
        from hanoi.cases.handlers import receipt_hook
        from hanoi.exchange.delivery import deliver_due
        from hanoi.exchange.transport import HttpTransport

        transport = HttpTransport()
        try:
            deliver_due(self.db, self.node, transport, on_receipt=receipt_hook())
        finally:
            transport.close()

    def deliver_and_report(self, reference: str) -> list[dict[str, Any]]:
        """Deliver, then report the request's messages once the newest has an outcome.

        A running node's own worker may have taken the message first: wait a little for its
        outcome (delivered, refused, or a failed attempt) rather than report it unknown.
        """
        self.deliver()
        deadline = time.monotonic() + SETTLE_WAIT
        while True:
            messages = _delivery(self.db, reference)
            last = messages[-1] if messages else None
            if last is None or last["delivery"] != "pending" or last["attempts"] > 0:
                return messages
            if time.monotonic() > deadline:
                return messages
            time.sleep(0.1)

    def close(self) -> None:
        self.db.dispose()


def _delivery(db: Any, reference: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from hanoi.cases.models import CaseRequest
    from hanoi.exchange.models import OutboxMessage

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


def _delivery_line(messages: list[dict[str, Any]]) -> str:
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
    user: str = USER_OPTION,
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
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    home: Path | None = NODE_HOME_OPTION,
) -> None:
    """Check, sign, encrypt and send a request to the requested State's node; print its
    reference. Exit 1 if the request does not pass the check."""
    from hanoi.cases.errors import RequestNotReady
    from hanoi.cases.sending import send_request

    document = _load(file)
    context = NodeContext(home)
    try:
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
            reference = case.reference
        messages = context.deliver_and_report(reference)
    finally:
        context.close()
    if as_json:
        print_json({"reference": reference, "messages": messages})
    else:
        print(reference)
        console.print(_delivery_line(messages))


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
    user: str = USER_OPTION,
    home: Path | None = NODE_HOME_OPTION,
) -> None:
    """Attach a condition on use to a request, or authorise the other State to pass its
    data to a third State (Art. 36); the other node is told."""
    from hanoi.cases.acting import attach_condition

    context = NodeContext(home)
    try:
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
        messages = context.deliver_and_report(reference)
    finally:
        context.close()
    console.print(f"{reference}: {kind} recorded; {_delivery_line(messages)}")


@app.command("list")
@guarded
def list_(
    user: str = USER_OPTION,
    inbox: bool = typer.Option(False, "--inbox", help="Only requests received."),
    outbox: bool = typer.Option(False, "--outbox", help="Only requests sent."),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
    home: Path | None = NODE_HOME_OPTION,
) -> None:
    """The requests of your authority, newest first."""
    from hanoi.cases.queries import Box, list_requests, request_deadlines

    if inbox and outbox:
        fail("--inbox and --outbox exclude each other")
    box: Box = "inbox" if inbox else "outbox" if outbox else "all"
    context = NodeContext(home)
    try:
        with context.db.session() as session:
            rows = []
            for case in list_requests(session, user=context.user(session, user), box=box):
                upcoming = request_deadlines(case, ack_hours_24_7=context.settings.ack_hours_24_7)
                rows.append(
                    _summary(case) | {"next_deadline": _deadline(upcoming[0]) if upcoming else None}
                )
    finally:
        context.close()
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
    user: str = USER_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print everything as JSON."),
    home: Path | None = NODE_HOME_OPTION,
) -> None:
    """One request: its status, deadlines, what you may do now, and its whole timeline."""
    from hanoi.cases.access import get_request
    from hanoi.cases.queries import allowed_actions, request_deadlines, timeline
    from hanoi.db.base import utcnow

    context = NodeContext(home)
    try:
        with context.db.session() as session:
            account = context.user(session, user)
            case = get_request(session, user=account, reference=reference)
            data = _summary(case) | {
                "document": case.document,
                "conditions": case.conditions,
                "deadlines": [
                    _deadline(d)
                    for d in request_deadlines(case, ack_hours_24_7=context.settings.ack_hours_24_7)
                ],
                "actions": [a.value for a in allowed_actions(case, account, today=utcnow().date())],
                "timeline": [
                    {
                        "at": i.at.isoformat(),
                        "what": i.what,
                        "actor": i.actor,
                        "status": i.status,
                        "detail": i.detail,
                    }
                    for i in timeline(session, case)
                ],
            }
    finally:
        context.close()
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


@app.command("act")
@guarded
def act_(
    reference: str = typer.Argument(..., help="The request's reference."),
    action: str = typer.Argument(
        ...,
        help="acknowledge, start, execute, execute-partially, refuse, postpone, preserve, "
        "extend, release, withdraw, inquire, reply or consult.",
    ),
    user: str = USER_OPTION,
    reason: str | None = typer.Option(None, "--reason", help="Why (required by some actions)."),
    ground: str | None = typer.Option(None, "--ground", help="Refusal or postponement ground id."),
    until: str | None = typer.Option(
        None, "--until", help="Preserve or extend until DATE (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    home: Path | None = NODE_HOME_OPTION,
) -> None:
    """Act on a request (acknowledge it, preserve the data, refuse it, ...) and tell the
    other State's node."""
    from datetime import date

    from hanoi.cases.acting import act
    from hanoi.cases.lifecycle import SYSTEM_ACTIONS, Action, ActionRequest

    chosen = next((a for a in Action if a.value == action and a not in SYSTEM_ACTIONS), None)
    if chosen is None:
        fail(f"unknown action {action!r}; see 'hanoi request act --help'")
    try:
        day = date.fromisoformat(until) if until is not None else None
    except ValueError:
        fail(f"--until {until!r} is not a date like 2027-03-01")
    context = NodeContext(home)
    try:
        with context.db.session() as session:
            case = act(
                session,
                context.node,
                user=context.user(session, user),
                reference=reference,
                request=ActionRequest(chosen, reason=reason, ground=ground, until=day),
            )
            status = case.status
        messages = context.deliver_and_report(reference)
    finally:
        context.close()
    if as_json:
        print_json({"reference": reference, "status": status, "messages": messages})
    else:
        console.print(f"{reference}: {status}; {_delivery_line(messages)}")


@app.command()
@guarded
def deadlines(
    user: str = USER_OPTION,
    overdue_only: bool = typer.Option(False, "--overdue", help="Only deadlines already passed."),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
    home: Path | None = NODE_HOME_OPTION,
) -> None:
    """Open deadlines of your authority's requests, overdue first, then by due time."""
    from hanoi.cases.queries import list_requests, request_deadlines
    from hanoi.db.base import utcnow

    now = utcnow()
    context = NodeContext(home)
    try:
        with context.db.session() as session:
            rows = [
                {"reference": case.reference, "kind": case.kind, "status": case.status}
                | _deadline(d)
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
    finally:
        context.close()
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


def _summary(case: Any) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "kind": case.kind,
        "side": case.side,
        "status": case.status,
        "urgent": case.urgent,
        "requesting_authority": case.requesting_authority,
        "requested_authority": case.requested_authority,
        "parent_reference": case.parent_reference,
        "relation": case.relation,
        "preserved_until": case.preserved_until.isoformat() if case.preserved_until else None,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }


def _deadline(deadline: Any) -> dict[str, Any]:
    return {
        "rule": deadline.rule,
        "label": deadline.label,
        "due": deadline.due.isoformat(),
        "article": deadline.article,
        "confidence": deadline.confidence,
    }

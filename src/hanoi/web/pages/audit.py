"""The audit trail, read-only, for auditors and administrators.

Each view verifies the hash chain from the last verified checkpoint on (the events added
since the last check), so a view costs what the trail grew by, not its whole length;
``hanoi audit verify --full`` re-verifies it from the first event.

The page filters by user (``actor``), ``action``, ``target`` (a request's reference, a
draft's or message's id, a user name...) and a date range (``since`` and ``until``, whole
UTC days, both included), and pages through the whole trail 200 events at a time by id
(``before`` for older events, ``after`` for newer ones), so a deep page costs what the first
one does. Every view is itself audited, with the filters it used. Targets are shown by what
they are: a request by its reference, a draft by the kind of request it drafts (the draft
itself is not shown: an auditor does not read case content). What the page words (targets,
the refusal summaries, the filters' errors) is worded here and written in the page's
language where it is shown; actions stay as their codes, the names the log keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from hanoi.accounts.permissions import Permission
from hanoi.audit import AuditEvent, list_events, record, summary_text, verify
from hanoi.audit.refusals import refusals_of
from hanoi.convention import get_convention
from hanoi.convention.errors import UnknownInstrumentError
from hanoi.errors import InvalidInput
from hanoi.web import auth
from hanoi.web.deps import Db, client_address
from hanoi.web.i18n import N_, Counted, Later, Wording, gettext, nwording, utc_time, wording
from hanoi.web.templating import page

router = APIRouter()

#: Events on one page.
PAGE_SIZE = 200
#: The longest value each text filter may hold: the column it is compared with.
TEXT_FILTERS = {"actor": 100, "action": 64, "target": 64}
#: The largest id a page link may carry (the column is a 64-bit integer).
MAX_ID = (1 << 63) - 1


class FilterError(InvalidInput):
    """A filter that cannot be read; its message names the field. The page answers it
    itself (422, with the filter form, the message in the page's language), rather than
    with the generic error page."""

    def __init__(self, said: Wording) -> None:
        self.said = said
        super().__init__(said.message % dict(said.values) if said.values else said.message)


@dataclass(frozen=True)
class Filters:
    """What the page was asked to show: each field None when not given."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: date | None = None
    until: date | None = None
    before: int | None = None
    after: int | None = None

    def query(self, **changes: int | None) -> str:
        """The page's query string with ``changes`` (the paging ids) applied."""
        values: dict[str, Any] = {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "before": self.before,
            "after": self.after,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v is not None})


def _pairs(filters: Filters) -> list[tuple[str, str]]:
    return [
        ("actor", filters.actor or ""),
        ("action", filters.action or ""),
        ("target", filters.target or ""),
        ("since", filters.since.isoformat() if filters.since else ""),
        ("until", filters.until.isoformat() if filters.until else ""),
        ("before", str(filters.before) if filters.before is not None else ""),
        ("after", str(filters.after) if filters.after is not None else ""),
    ]


def _text(params: Any, name: str) -> str | None:
    value = str(params.get(name) or "").strip()
    if not value:
        return None
    limit = TEXT_FILTERS[name]
    if len(value) > limit:
        raise FilterError(
            wording("%(field)s: at most %(limit)s characters", field=name, limit=limit)
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise FilterError(wording("%(field)s: control characters are not allowed", field=name))
    return value


def _day(params: Any, name: str) -> date | None:
    value = str(params.get(name) or "").strip()
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(
            wording(
                "%(field)s: %(value)s is not a date (YYYY-MM-DD)",
                field=name,
                value=repr(value[:20]),
            )
        ) from None


def _id(params: Any, name: str) -> int | None:
    value = str(params.get(name) or "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 19 or int(value) > MAX_ID:
        raise FilterError(wording("%(field)s: not an event number", field=name))
    return int(value)


def read_filters(params: Any) -> Filters:
    """The filters of a query string; :class:`FilterError` names the first one that is wrong."""
    for name in params:
        if name not in (*TEXT_FILTERS, "since", "until", "before", "after"):
            raise FilterError(wording("%(field)s: not a filter of this page", field=name[:40]))
    filters = Filters(
        actor=_text(params, "actor"),
        action=_text(params, "action"),
        target=_text(params, "target"),
        since=_day(params, "since"),
        until=_day(params, "until"),
        before=_id(params, "before"),
        after=_id(params, "after"),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise FilterError(wording("since: the range starts after it ends"))
    if filters.before is not None and filters.after is not None:
        raise FilterError(wording("before, after: one page at a time"))
    return filters


#: What each kind of target is called on the page, its id following.
TARGET_KINDS = {
    "request": N_("Request %(id)s"),
    "draft": N_("Draft %(id)s"),
    "message": N_("Message %(id)s"),
    "user": N_("User %(id)s"),
    "authority": N_("Authority %(id)s"),
    "key": N_("Key %(id)s"),
    "token": N_("Token %(id)s"),
    "path": N_("Path %(id)s"),
    "ledger_log": N_("Ledger log %(id)s"),
}


def target_text(event: AuditEvent) -> Wording | str:
    """What an event was about, as a person reads it (shown with ``| t``)."""
    kind, ident = event.target_type, event.target_id
    if kind is None and ident is None:
        return ""
    if kind == "draft":
        data = event.detail_data or {}
        drafted = data.get("kind") if isinstance(data, dict) else None
        title = _instrument_title(drafted) if isinstance(drafted, str) else None
        if title:
            # The instrument's title is the Convention's: its catalogue translates it.
            return wording(
                "Draft of %(instrument)s (draft %(id)s)",
                instrument=Later(gettext, title),
                id=_code(ident),
            )
    if kind in TARGET_KINDS:
        return wording(TARGET_KINDS[kind], id=_code(ident))
    return " ".join(part for part in (kind, ident) if part)


def _code(ident: str | None) -> Markup:
    """An id inside a translated sentence, shown as the code it is (never translated)."""
    return Markup("<code>%s</code>") % (ident or "")


def note_text(event: AuditEvent) -> Counted | None:
    """The note on a summary of refusals ("199 more access.denied (csrf) from ... between
    ... and ..."), in the page's language; ``None`` for any other event."""
    if summary_text(event) is None:
        return None
    data = event.detail_data or {}
    source: object = event.remote_addr or Later(gettext, N_("an unknown address"))
    return nwording(
        "%(num)s more %(action)s (%(reason)s) from %(source)s between %(first)s and %(last)s",
        "%(num)s more %(action)s (%(reason)s) from %(source)s between %(first)s and %(last)s",
        refusals_of(event),
        action=event.action,
        reason=data.get("reason"),
        source=source,
        first=_moment(data.get("first_at")),
        last=_moment(data.get("last_at")),
    )


def _moment(value: object) -> object:
    """An ISO moment of an event's detail, written the page's way (as it is if unreadable)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return value
    return Later(lambda at: utc_time(at, seconds=True), moment)


def _instrument_title(kind: str) -> str | None:
    try:
        return get_convention().instrument(kind).title
    except UnknownInstrumentError:
        return None


@router.get("/audit")
def audit_page(request: Request, db: Db) -> Response:
    user = auth.require_permission(request, db, Permission.READ_AUDIT)
    try:
        filters = read_filters(request.query_params)
        error = None
    except FilterError as exc:
        filters, error = Filters(), exc.said
    with db.session() as session:
        record(
            session,
            actor=user.username,
            action="audit.view",
            detail={k: v for k, v in _pairs(filters) if v} or None,
            remote_addr=client_address(request),
        )
    if error is not None:
        return _render(request, user, filters, [], None, None, error=error, status=422)
    since = datetime.combine(filters.since, time(), UTC) if filters.since else None
    until = (
        datetime.combine(filters.until + timedelta(days=1), time(), UTC) if filters.until else None
    )
    with db.session() as session:
        listing = partial(
            list_events,
            session,
            actor=filters.actor,
            action=filters.action,
            target_id=filters.target,
            since=since,
            until=until,
        )
        events = listing(limit=PAGE_SIZE, before_id=filters.before, after_id=filters.after)
        older = newer = None
        if events:
            if listing(limit=1, before_id=events[-1].id):
                older = events[-1].id
            if listing(limit=1, after_id=events[0].id):
                newer = events[0].id
        check = verify(session)
    return _render(request, user, filters, events, older, newer, check=check)


def _render(
    request: Request,
    user: Any,
    filters: Filters,
    events: list[AuditEvent],
    older: int | None,
    newer: int | None,
    *,
    check: Any = None,
    error: Wording | None = None,
    status: int = 200,
) -> Response:
    rows = [(event, note_text(event), target_text(event)) for event in events]
    return page(
        request,
        "audit.html",
        {
            "rows": rows,
            "broken": check.broken if check else [],
            "checkpoint": check.checkpoint if check else None,
            "user": user,
            "filters": filters,
            "filtered": any(v for _, v in _pairs(filters)[:5]),
            "older": f"/audit?{filters.query(before=older, after=None)}" if older else None,
            "newer": f"/audit?{filters.query(after=newer, before=None)}" if newer else None,
            "error": error,
        },
        status_code=status,
    )

"""The directory of States as this node last verified it: a list, and one page per State.

Served under /states: /directory/ is where a Secretariat node serves the signed repository
itself as static files. States are named in the page's language
(:mod:`hanoi.web.state_names`); the entry's codes (treaty status, authority kinds,
channels...) are shown by the names below, translated where shown; local times and UTC
offsets are written the page's locale's way.

The treaty status shown is the depositary record's where the Secretariat published one in
the directory: where a State's entry says otherwise, the record wins, and the page says
what the entry says (:mod:`hanoi.treaty.standing`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.config import Settings
from hanoi.directory.client import DirectoryClient
from hanoi.directory.entry import Authority
from hanoi.directory.errors import DirectoryError
from hanoi.i18n.languages import LANGUAGES, html_lang
from hanoi.ledger.keys import log_verifiers_for_entry, witness_verifiers_for_entry
from hanoi.treaty.record import TreatyRecord
from hanoi.treaty.standing import disagreements, standing
from hanoi.web import auth
from hanoi.web.deps import Db, NodeSettings
from hanoi.web.i18n import N_, Later, Wording, active_language, locale_of, wording
from hanoi.web.problems import page_error
from hanoi.web.state_names import state_name
from hanoi.web.templating import page

router = APIRouter()

NOT_PINNED = N_("This node has not pinned a directory yet (hanoi directory refresh).")

#: The entry's codes as the pages name them (translated where shown, ``| t``).
TREATY_STATUS = {
    "party": N_("party"),
    "signatory": N_("signatory"),
    "none": N_("neither signatory nor party"),
}
DEPOSITED = {
    "ratification": N_("instrument of ratification deposited %(date)s"),
    "acceptance": N_("instrument of acceptance deposited %(date)s"),
    "approval": N_("instrument of approval deposited %(date)s"),
    "accession": N_("instrument of accession deposited %(date)s"),
}
AUTHORITY_KINDS = {
    "central_authority": N_("central authority"),
    "point_of_contact_24_7": N_("24/7 point of contact"),
    "extradition_authority": N_("extradition authority"),
    "competent_authority": N_("competent authority"),
}
DECLARATION_KINDS = {
    "declaration": N_("Declaration"),
    "reservation": N_("Reservation"),
    "notification": N_("Notification"),
}


def _hour(moment: datetime) -> str:
    """Hours and minutes of ``moment`` in its own time zone, the page's locale's way."""
    zone: tzinfo | None = moment.tzinfo
    return str(format_skeleton("Hm", moment, tzinfo=zone, locale=locale_of(active_language())))


def _offset(moment: datetime) -> str:
    """``moment``'s offset from UTC, written "UTC+01:00" in every language: the pages say
    every time in UTC, and some locales would write "GMT" here."""
    offset = moment.strftime("%z")  # "+0100"
    return f"UTC{offset[:3]}:{offset[3:5]}"


def local_clock(authority: Authority, now: datetime) -> dict[str, Later]:
    """The authority's local time now, the time in UTC and the offset between them, to read
    its hours by; each written in the page's language where it is shown."""
    local = now.astimezone(ZoneInfo(authority.time_zone))
    return {
        "local": Later(_hour, local),
        "utc": Later(_hour, now.astimezone(UTC)),
        "offset": Later(_offset, local),
    }


def _copy(settings: Settings) -> tuple[DirectoryClient, Any, str | Wording | None]:
    client = DirectoryClient(settings.home)
    if not client.is_pinned:
        return client, None, NOT_PINNED
    try:
        return client, client.status(), None
    except DirectoryError as exc:
        return (
            client,
            None,
            wording(
                "This node's copy of the directory cannot be read: %(problem)s", problem=str(exc)
            ),
        )


def _record(client: DirectoryClient, status: Any) -> TreatyRecord | None:
    """The depositary record of the verified copy, if the Secretariat published one (a
    record that no longer reads as verified is left out, as an entry would be)."""
    if status is None:
        return None
    try:
        return client.copy.treaty_record()
    except DirectoryError:
        return None


def _record_says(record: TreatyRecord | None, entries: list[Any], today: date) -> dict[str, Any]:
    """What the record says of each State (its status, and what the entry says otherwise);
    the record wins where they disagree."""
    if record is None:
        return {"record": False, "said": {}, "disagreements": {}}
    return {
        "record": True,
        "said": {e.code: standing(record, e.code, today).status for e in entries},
        "disagreements": {
            e.code: [d.as_json() for d in disagreements(e.code, e.treaty, record, today)]
            for e in entries
        },
    }


def _labels() -> dict[str, Any]:
    return {
        "treaty_status": TREATY_STATUS,
        "deposited": DEPOSITED,
        "authority_kinds": AUTHORITY_KINDS,
        "declaration_kinds": DECLARATION_KINDS,
    }


@router.get("/states")
def states_page(request: Request, db: Db, settings: NodeSettings) -> Response:
    user = auth.require_user(request, db)
    client, status, problem = _copy(settings)
    entries = client.verified_entries() if status is not None else []
    today = datetime.now(UTC).date()
    return page(
        request,
        "states.html",
        {
            "user": user,
            "entries": entries,
            "status": status,
            "problem": problem,
            "today": today,
            **_record_says(_record(client, status), entries, today),
            **_labels(),
        },
    )


@router.get("/states/{code}")
def state_page(request: Request, code: str, db: Db, settings: NodeSettings) -> Response:
    user = auth.require_user(request, db)
    client, status, problem = _copy(settings)
    entry = client.verified_entry(code) if status is not None and len(code) == 2 else None
    if entry is None:
        # The error page shows its detail as given: English until error.html translates it.
        if problem is None:
            detail = f"No entry for {code!r}."
        elif isinstance(problem, Wording):
            detail = problem.message % dict(problem.values)
        else:
            detail = problem
        return page_error(request, 404, N_("Unknown State"), detail)
    now = datetime.now(UTC)
    return page(
        request,
        "state.html",
        {
            "user": user,
            "entry": entry,
            "status": status,
            # The State's name in each of the six languages, each marked as written in it.
            "names": [(lang, html_lang(lang), state_name(entry, lang)) for lang in LANGUAGES],
            "clocks": [local_clock(a, now) for a in entry.authorities],
            "in_effect": entry.in_effect(now.date()),
            **_record_says(_record(client, status), [entry], now.date()),
            # Ready to copy into `hanoi ledger verify --key` and `--cosigner`.
            "log_keys": [v.key_string() for v in log_verifiers_for_entry(entry, now)],
            "witness_keys": [v.key_string() for v in witness_verifiers_for_entry(entry, now)],
            **_labels(),
        },
    )

"""The directory of States as this node last verified it: a list, and one page per State.

Served under /states: /directory/ is where a Secretariat node serves the signed repository
itself as static files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.config import Settings
from hanoi.directory.client import DirectoryClient
from hanoi.directory.entry import Authority
from hanoi.directory.errors import DirectoryError
from hanoi.ledger.keys import log_verifiers_for_entry, witness_verifiers_for_entry
from hanoi.web import auth
from hanoi.web.deps import Db, NodeSettings
from hanoi.web.problems import page_error
from hanoi.web.templating import page

router = APIRouter()


def local_clock(authority: Authority, now: datetime) -> dict[str, str]:
    """The authority's local time now and its offset from UTC, to read its hours by."""
    local = now.astimezone(ZoneInfo(authority.time_zone))
    offset = local.strftime("%z")
    return {
        "local": local.strftime("%H:%M"),
        "utc": now.strftime("%H:%M"),
        "offset": f"UTC{offset[:3]}:{offset[3:]}",
    }


def _copy(settings: Settings) -> tuple[DirectoryClient, Any, str | None]:
    client = DirectoryClient(settings.home)
    if not client.is_pinned:
        return client, None, "This node has not pinned a directory yet (hanoi directory refresh)."
    try:
        return client, client.status(), None
    except DirectoryError as exc:
        return client, None, str(exc)


@router.get("/states")
def states_page(request: Request, db: Db, settings: NodeSettings) -> Response:
    user = auth.require_user(request, db)
    client, status, problem = _copy(settings)
    entries = client.verified_entries() if status is not None else []
    return page(
        request,
        "states.html",
        {
            "user": user,
            "entries": entries,
            "status": status,
            "problem": problem,
            "today": datetime.now(UTC).date(),
        },
    )


@router.get("/states/{code}")
def state_page(request: Request, code: str, db: Db, settings: NodeSettings) -> Response:
    user = auth.require_user(request, db)
    client, status, problem = _copy(settings)
    entry = client.verified_entry(code) if status is not None and len(code) == 2 else None
    if entry is None:
        return page_error(request, 404, "Unknown State", problem or f"No entry for {code!r}.")
    now = datetime.now(UTC)
    return page(
        request,
        "state.html",
        {
            "user": user,
            "entry": entry,
            "status": status,
            "clocks": [local_clock(a, now) for a in entry.authorities],
            "in_effect": entry.in_effect(now.date()),
            # Ready to copy into `hanoi ledger verify --key` and `--cosigner`.
            "log_keys": [v.key_string() for v in log_verifiers_for_entry(entry, now)],
            "witness_keys": [v.key_string() for v in witness_verifiers_for_entry(entry, now)],
        },
    )

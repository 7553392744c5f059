"""The treaty's status as the node knows it, read-only and public, for a State's
case-management system: the same document as ``/treaty.json`` on the status page and
``hanoi treaty status --json`` (which record: ``web/pages/treaty.node_record``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from hanoi.errors import InvalidInput
from hanoi.web.deps import NodeSettings
from hanoi.web.pages.treaty import node_report
from hanoi.web.problems import problem_responses

router = APIRouter(prefix="/treaty", tags=["treaty"])


@router.get("/status", responses=problem_responses(422))
def treaty_status(
    settings: NodeSettings,
    as_of: str | None = Query(
        None,
        alias="as-of",
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="The day to report on, YYYY-MM-DD (default: today, UTC).",
        json_schema_extra={"format": "date"},
    ),
) -> dict[str, Any]:
    """Signatories, instruments counted toward the 40 of Art. 65(1), entry into force (for
    the Convention and each State, with each rule's confidence), the counts sources state,
    regional groups, progress day by day and every State's rows with their sources.
    ``record`` says which record: the Secretariat's working copy, the signed copy of the
    directory, the demo federation's, or the one shipped with Hanoi."""
    chosen, report = node_report(settings.home, _day(as_of))
    return {"record": chosen.kind, **report.as_json()}


def _day(text: str | None) -> date | None:
    """A calendar day exactly as ``YYYY-MM-DD`` (no timestamps, no other spellings)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"as-of: {text!r} is not a day of the calendar (YYYY-MM-DD)") from None

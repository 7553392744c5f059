"""The treaty's status as a report: what the public treaty page, its CSV and JSON downloads
and its chart show, assembled from a record, the regional groups and a day. Pure: no files,
no language; the page words it.

:func:`treaty_report` builds on :func:`hanoi.treaty.entry_into_force.status`, the very
function behind ``hanoi treaty status --json``: the report's JSON holds that status's JSON
unchanged (same keys, same values) and adds the regional groups, each State's rows with
their sources and confidence, and the progress toward the 40 instruments day by day.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from hanoi.treaty.entry_into_force import (
    INSTRUMENTS_NEEDED,
    TreatyStatus,
    counted_instruments,
    status,
    timeline,
)
from hanoi.treaty.groups import GROUP_IDS, GroupId, Membership, RegionalGroups
from hanoi.treaty.record import (
    CONSENT,
    OPENED_FOR_SIGNATURE,
    Action,
    ActionKind,
    Confidence,
    TreatyRecord,
    denunciation_effect,
)

__all__ = [
    "CSV_COLUMNS",
    "GroupRow",
    "ProgressPoint",
    "ReportedRow",
    "StateRow",
    "TimelineDay",
    "TreatyReport",
    "treaty_report",
]

#: The columns of the CSV download: one line per row of the record.
CSV_COLUMNS = (
    "state",
    "name",
    "regional_group",
    "regional_group_confidence",
    "action",
    "date",
    "dated",
    "article",
    "paragraph",
    "against",
    "topic",
    "detail",
    "languages",
    "confidence",
    "source",
    "note",
)
#: The actions the timeline shows, in the order it lists them on one day.
TIMELINE_KINDS = (
    ActionKind.SIGNATURE,
    ActionKind.RATIFICATION,
    ActionKind.ACCEPTANCE,
    ActionKind.APPROVAL,
    ActionKind.ACCESSION,
    ActionKind.DENUNCIATION,
)


@dataclass(frozen=True)
class ProgressPoint:
    """On ``on``: States that had signed, and instruments counting toward the 40."""

    on: date
    signatories: int
    instruments: int


@dataclass(frozen=True)
class TimelineEntry:
    """The States that took one kind of action on one day, the least sure row's confidence
    beside each."""

    kind: ActionKind
    states: tuple[tuple[str, Confidence], ...]


@dataclass(frozen=True)
class TimelineDay:
    on: date
    entries: tuple[TimelineEntry, ...]


@dataclass(frozen=True)
class ReportedRow:
    """A count of signatories a source states, and whether the record's list agrees."""

    count: int
    as_of: date | None
    source: str
    confidence: Confidence
    note: str | None
    agrees_with_list: bool


@dataclass(frozen=True)
class GroupRow:
    """One regional group (None: the States and organisations in none) on the day."""

    group: GroupId | None
    size: int | None
    signatories: int
    instruments: int
    parties: int


@dataclass(frozen=True)
class StateRow:
    """One State (or organisation) of the record: its group, where it stands on the day,
    and its rows up to that day, each with source and confidence."""

    code: str
    name: str
    reio: bool
    members: tuple[str, ...]
    group: Membership | None
    signed: Action | None
    instrument: Action | None
    party: bool
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class TreatyReport:
    """The treaty on ``status.as_of`` as the page shows it."""

    status: TreatyStatus
    groups: RegionalGroups
    reported: tuple[ReportedRow, ...]
    progress: tuple[ProgressPoint, ...]
    timeline: tuple[TimelineDay, ...]
    by_group: tuple[GroupRow, ...]
    states: tuple[StateRow, ...]

    @property
    def as_of(self) -> date:
        return self.status.as_of

    @property
    def needed(self) -> int:
        return INSTRUMENTS_NEEDED

    @property
    def signatories(self) -> int:
        """Signatories the record lists (each with its own row and source)."""
        return len(self.status.signatories)

    @property
    def signatories_confirmed(self) -> int:
        return sum(1 for s in self.status.signatories if s["confidence"] == "confirmed")

    @property
    def parties(self) -> int:
        """States (and organisations) the Convention binds on the day."""
        return len(self.status.parties)

    @property
    def disagreements(self) -> tuple[ReportedRow, ...]:
        """The counts sources state that differ from the record's list."""
        return tuple(r for r in self.reported if not r.agrees_with_list)

    def as_json(self) -> dict[str, Any]:
        """The status exactly as ``hanoi treaty status --json`` gives it, and beside it the
        regional groups, each State's rows, and the progress toward the 40."""
        return {
            **self.status.as_json(),
            "regional_groups": {
                **self.groups.as_json(),
                "rows": [
                    {
                        "group": row.group or "not-listed",
                        "size": row.size,
                        "signatories": row.signatories,
                        "instruments": row.instruments,
                        "parties": row.parties,
                    }
                    for row in self.by_group
                ],
            },
            "progress": [
                {
                    "date": p.on.isoformat(),
                    "signatories": p.signatories,
                    "instruments": p.instruments,
                }
                for p in self.progress
            ],
            "states": [
                {
                    "code": s.code,
                    "name": s.name,
                    "reio": s.reio,
                    **({"members": list(s.members)} if s.reio else {}),
                    "regional_group": s.group.group if s.group else "not-listed",
                    **({"regional_group_confidence": s.group.confidence} if s.group else {}),
                    "party": s.party,
                    "actions": [
                        a.model_dump(mode="json", exclude_defaults=True) for a in s.actions
                    ],
                }
                for s in self.states
            ],
        }

    def csv_text(self) -> str:
        """One line per row of the record up to the day, with its source and confidence."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for s in self.states:
            for a in s.actions:
                writer.writerow(
                    [
                        s.code,
                        s.name,
                        s.group.group if s.group else "not-listed",
                        s.group.confidence if s.group else "",
                        str(a.kind),
                        a.date.isoformat(),
                        a.dated,
                        a.article or "",
                        a.paragraph or "",
                        a.against or "",
                        str(a.topic or ""),
                        a.detail or "",
                        " ".join(a.languages),
                        a.confidence,
                        a.source,
                        a.note or "",
                    ]
                )
        return out.getvalue()


def treaty_report(record: TreatyRecord, as_of: date, groups: RegionalGroups) -> TreatyReport:
    """The report of ``record`` on ``as_of`` (rows dated later left out), States placed in
    ``groups``."""
    result = status(record, as_of)
    bound = {b.state for b in result.parties}
    states = tuple(
        _state_row(s, as_of, groups, bound) for s in sorted(record.states, key=lambda s: s.code)
    )
    listed = len(result.signatories)
    reported = tuple(
        ReportedRow(
            count=c["count"],
            as_of=date.fromisoformat(c["as_of"]) if c["as_of"] else None,
            source=c["source"],
            confidence=c["confidence"],
            note=c.get("note"),
            agrees_with_list=c["count"] == listed,
        )
        for c in result.reported_counts
    )
    return TreatyReport(
        status=result,
        groups=groups,
        reported=reported,
        progress=_progress(record, as_of),
        timeline=_timeline(states),
        by_group=_by_group(states, groups),
        states=states,
    )


def _state_row(state: Any, as_of: date, groups: RegionalGroups, bound: set[str]) -> StateRow:
    actions = tuple(a for a in state.sorted_actions() if a.date <= as_of)
    signatures = [a for a in actions if a.kind is ActionKind.SIGNATURE]
    instruments = [a for a in actions if a.kind in CONSENT]
    return StateRow(
        code=state.code,
        name=state.name,
        reio=state.reio,
        members=tuple(state.members),
        group=None if state.reio else groups.group_of(state.code),
        signed=signatures[-1] if signatures else None,
        instrument=instruments[-1] if instruments else None,
        party=state.code in bound,
        actions=actions,
    )


def _progress(record: TreatyRecord, as_of: date) -> tuple[ProgressPoint, ...]:
    """The counts on every day they change, from the opening for signature to ``as_of``."""
    tl = timeline(record)
    days = {OPENED_FOR_SIGNATURE, as_of}
    for event in tl.events:
        days.add(event.on)
        if event.kind is ActionKind.DENUNCIATION:
            days.add(denunciation_effect(event.on))
    points = []
    for day in sorted(d for d in days if OPENED_FOR_SIGNATURE <= d <= as_of):
        signed = {e.state for e in tl.events if e.kind is ActionKind.SIGNATURE and e.on <= day}
        points.append(ProgressPoint(day, len(signed), counted_instruments(tl, day)))
    return tuple(points)


def _timeline(states: tuple[StateRow, ...]) -> tuple[TimelineDay, ...]:
    by_day: dict[date, dict[ActionKind, dict[str, Confidence]]] = {}
    for s in states:
        for a in s.actions:
            if a.kind in TIMELINE_KINDS:
                seen = by_day.setdefault(a.date, {}).setdefault(a.kind, {})
                seen[s.code] = "unconfirmed" if seen.get(s.code) == "unconfirmed" else a.confidence
    return tuple(
        TimelineDay(
            day,
            tuple(
                TimelineEntry(kind, tuple(sorted(kinds[kind].items())))
                for kind in TIMELINE_KINDS
                if kind in kinds
            ),
        )
        for day, kinds in sorted(by_day.items())
    )


def _by_group(states: tuple[StateRow, ...], groups: RegionalGroups) -> tuple[GroupRow, ...]:
    rows = []
    for group in (*GROUP_IDS, None):
        mine = [s for s in states if (s.group.group if s.group else None) == group]
        rows.append(
            GroupRow(
                group=group,
                size=groups.size(group) if group else None,
                signatories=sum(1 for s in mine if s.signed is not None),
                instruments=sum(1 for s in mine if s.instrument is not None),
                parties=sum(1 for s in mine if s.party),
            )
        )
    return tuple(rows)

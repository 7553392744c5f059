"""When the Convention enters into force, and whom it binds on a given day — pure
functions of the record, each answer carrying the confidence of the rule that gave it.

The rules (docs/treaty.md):

- **Art. 65(1)** (wording confirmed by the depositary): the Convention enters into force on
  the ninetieth day after the deposit of the fortieth instrument of ratification,
  acceptance, approval or accession: the 40th deposit's date plus 90 days. An instrument
  of a regional economic integration organisation "shall not be counted as additional to
  those deposited by member States of that organization": it is never counted toward the
  40, whichever of its members deposited. An instrument stops counting on the day a
  denunciation of it takes effect (decided here: the Convention has not said what happens
  to a count that falls before entry into force; the answer is then ``unconfirmed``).
  Once in force, the Convention stays in force.
- **Art. 65(2)** (unconfirmed): a State (or organisation) depositing after the fortieth
  instrument is bound from the thirtieth day after its deposit or from the Convention's
  own date, whichever is later. One depositing on or before the day of the fortieth is
  bound from the Convention's date (Art. 65(1)).
- **Art. 67** (period unconfirmed): a denunciation takes effect one year after its
  notification (:func:`hanoi.treaty.record.denunciation_effect`); from that day the State
  is no longer bound. It may accede again, and is then bound under Art. 65(2).

A date's confidence is ``confirmed`` only if its rule is confirmed and every row it rests
on is (a deposit reported by the press, an assumed deposit or a denunciation's period makes
it ``unconfirmed``). The input rows are read in any order: the answer depends on what they
say, never on how they are listed.

:func:`status` answers for any day, past or future, and with hypothetical deposits
(:class:`Assumption`: "if XA ratifies on 2027-03-01"), checked for order against the record
as recorded rows are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hanoi.treaty.record import (
    CONSENT,
    ActionKind,
    Confidence,
    TreatyRecord,
    TreatyRecordError,
    check_history,
    day_order,
    denunciation_effect,
    normalise_code,
)

__all__ = [
    "CONVENTION_DELAY",
    "INSTRUMENTS_NEEDED",
    "STATE_DELAY",
    "Assumption",
    "Binding",
    "EntryIntoForce",
    "Event",
    "Period",
    "Timeline",
    "TreatyStatus",
    "bound",
    "convention_entry_into_force",
    "counted_instruments",
    "denunciation_takes_effect",
    "parse_assumption",
    "periods",
    "status",
    "timeline",
]

INSTRUMENTS_NEEDED = 40
CONVENTION_DELAY = timedelta(days=90)  # Art. 65(1): confirmed
STATE_DELAY = timedelta(days=30)  # Art. 65(2): unconfirmed
_RULE_CONFIDENCE: dict[str, Confidence] = {
    "Art. 65(1)": "confirmed",
    "Art. 65(2)": "unconfirmed",
    "Art. 67": "unconfirmed",
}


def _least(*confidences: Confidence) -> Confidence:
    return "unconfirmed" if "unconfirmed" in confidences else "confirmed"


@dataclass(frozen=True)
class Event:
    """One dated step the rules read: an instrument deposited, a denunciation notified or
    a signature; ``assumed`` for a hypothetical one."""

    on: date
    state: str
    kind: ActionKind
    confidence: Confidence = "confirmed"
    assumed: bool = False

    @property
    def solid(self) -> bool:
        return self.confidence == "confirmed" and not self.assumed


def _event_key(event: Event) -> tuple[date, int, str, str, bool]:
    return (event.on, day_order(event.kind), event.state, event.confidence, event.assumed)


@dataclass(frozen=True)
class Timeline:
    """The events of a record (plus assumptions), sorted, and which codes are regional
    economic integration organisations (their instruments never count toward the 40)."""

    events: tuple[Event, ...]
    reios: frozenset[str] = frozenset()

    @classmethod
    def of(cls, events: Iterable[Event], reios: Iterable[str] = ()) -> Timeline:
        return cls(tuple(sorted(set(events), key=_event_key)), frozenset(reios))

    def of_state(self, state: str) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.state == state)


@dataclass(frozen=True)
class Assumption:
    """A hypothetical action for :func:`status`: ``XA:ratification:2027-03-01``."""

    state: str
    kind: ActionKind
    date: date
    article: int | None = None
    paragraph: int | None = None


def parse_assumption(text: str, *, fictional: bool = False) -> Assumption:
    """``STATE:ACTION:DATE`` (``FR:ratification:2027-03-01``) as an :class:`Assumption`;
    only signatures, instruments and denunciations can be assumed."""
    parts = text.split(":")
    if len(parts) != 3:
        raise TreatyRecordError(
            f"{text!r}: an assumption is STATE:ACTION:DATE (FR:ratification:2027-03-01)",
            check="field",
        )
    code, kind_text, day_text = (p.strip() for p in parts)
    try:
        kind = ActionKind(kind_text.lower())
    except ValueError:
        kind = None
    allowed = CONSENT | {ActionKind.SIGNATURE, ActionKind.DENUNCIATION}
    if kind not in allowed:
        names = ", ".join(sorted(str(k) for k in allowed))
        raise TreatyRecordError(f"{text!r}: the action assumed is one of {names}", check="field")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise TreatyRecordError(f"{text!r}: the date is YYYY-MM-DD", check="field") from None
    try:
        state = normalise_code(code, fictional=fictional)
    except TreatyRecordError:
        state = normalise_code(code, fictional=fictional, reio=True)
    assert kind is not None
    return Assumption(state, kind, day)


_COUNTED_KINDS = CONSENT | {ActionKind.SIGNATURE, ActionKind.DENUNCIATION}


def timeline(record: TreatyRecord, assume: Sequence[Assumption] = ()) -> Timeline:
    """The events of ``record`` that the rules read, and the ``assume``d ones (each State's
    rows with its assumptions checked for order as the record's are)."""
    events = [
        Event(a.date, s.code, a.kind, a.confidence)
        for s in record.states
        for a in s.actions
        if a.kind in _COUNTED_KINDS
    ]
    reios = set(record.reios())
    for code in sorted({a.state for a in assume}):
        mine = [a for a in assume if a.state == code]
        state = record.state(code)
        check_history(code, [*(state.actions if state else ()), *mine])
    for a in assume:
        events.append(Event(a.date, a.state, a.kind, "unconfirmed", assumed=True))
    return Timeline.of(events, reios)


def denunciation_takes_effect(notified: date) -> EntryIntoForce:
    """When a denunciation notified on ``notified`` takes effect (Art. 67, unconfirmed)."""
    return EntryIntoForce(denunciation_effect(notified), "Art. 67", "unconfirmed")


@dataclass(frozen=True)
class EntryIntoForce:
    """A date some rule gives (None: not yet, on what is known), the rule, and how sure it
    is: the rule's confidence met with that of every row it rests on."""

    on: date | None
    rule: str
    confidence: Confidence
    fortieth: Event | None = None
    rests_on: tuple[Event, ...] = ()

    @property
    def rule_confidence(self) -> Confidence:
        return _RULE_CONFIDENCE[self.rule]

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.on.isoformat() if self.on else None,
            "rule": self.rule,
            "rule_confidence": self.rule_confidence,
            "confidence": self.confidence,
            "fortieth": _event_json(self.fortieth) if self.fortieth else None,
        }


def _event_json(event: Event) -> dict[str, Any]:
    return {
        "state": event.state,
        "action": str(event.kind),
        "date": event.on.isoformat(),
        "confidence": event.confidence,
        "assumed": event.assumed,
    }


def _instrument_spans(tl: Timeline, state: str) -> list[tuple[Event, Event | None]]:
    """Each instrument of ``state`` with the denunciation that ended it (or None)."""
    spans: list[tuple[Event, Event | None]] = []
    current: Event | None = None
    for event in tl.of_state(state):
        if event.kind in CONSENT and current is None:
            current = event
        elif event.kind is ActionKind.DENUNCIATION and current is not None:
            spans.append((current, event))
            current = None
    if current is not None:
        spans.append((current, None))
    return spans


def _changes(tl: Timeline) -> list[tuple[date, int, Event]]:
    """+1 on each counted deposit, -1 on the day each denunciation of one takes effect;
    on one day the -1 come first."""
    changes: list[tuple[date, int, Event]] = []
    for state in sorted({e.state for e in tl.events} - tl.reios):
        for deposit, ended_by in _instrument_spans(tl, state):
            changes.append((deposit.on, +1, deposit))
            if ended_by is not None:
                changes.append((denunciation_effect(ended_by.on), -1, ended_by))
    changes.sort(key=lambda c: (c[0], c[1], _event_key(c[2])))
    return changes


def counted_instruments(tl: Timeline, on: date) -> int:
    """The instruments that count toward the 40 on the day ``on`` (deposited by then, by a
    State, not ended by a denunciation that took effect by then)."""
    return sum(delta for day, delta, _ in _changes(tl) if day <= on)


def convention_entry_into_force(tl: Timeline) -> EntryIntoForce:
    """The Convention's own date (Art. 65(1)): the 90th day after the 40th instrument."""
    count = 0
    rests_on: list[Event] = []
    for day, delta, event in _changes(tl):
        count += delta
        rests_on.append(event)
        if delta > 0 and count >= INSTRUMENTS_NEEDED:
            used_denunciation = any(e.kind is ActionKind.DENUNCIATION for e in rests_on)
            confidence = _least(
                "confirmed",
                *(e.confidence if not e.assumed else "unconfirmed" for e in rests_on),
                "unconfirmed" if used_denunciation else "confirmed",
            )
            return EntryIntoForce(
                day + CONVENTION_DELAY, "Art. 65(1)", confidence, event, tuple(rests_on)
            )
    return EntryIntoForce(
        None, "Art. 65(1)", "confirmed" if all(e.solid for e in rests_on) else "unconfirmed"
    )


@dataclass(frozen=True)
class Period:
    """A span during which a State is bound: from ``start`` (its rule) to ``end`` (the day
    a denunciation takes effect, excluded) or open."""

    start: EntryIntoForce
    end: EntryIntoForce | None = None

    @property
    def confidence(self) -> Confidence:
        return _least(self.start.confidence, self.end.confidence if self.end else "confirmed")

    def covers(self, day: date) -> bool:
        assert self.start.on is not None
        return self.start.on <= day and (
            self.end is None or self.end.on is None or day < self.end.on
        )


def periods(tl: Timeline, state: str) -> tuple[Period, ...]:
    """Every span during which ``state`` is (or, on what is known, will be) bound."""
    convention = convention_entry_into_force(tl)
    if convention.on is None or convention.fortieth is None:
        return ()
    fortieth_day = convention.fortieth.on
    result: list[Period] = []
    for deposit, ended_by in _instrument_spans(tl, state):
        solid = deposit.confidence if not deposit.assumed else "unconfirmed"
        if deposit.on <= fortieth_day:
            start = EntryIntoForce(
                convention.on, "Art. 65(1)", _least(convention.confidence, solid), deposit
            )
        else:
            start = EntryIntoForce(
                max(deposit.on + STATE_DELAY, convention.on), "Art. 65(2)", "unconfirmed", deposit
            )
        end = None
        if ended_by is not None:
            end = EntryIntoForce(
                denunciation_effect(ended_by.on), "Art. 67", "unconfirmed", ended_by
            )
            assert start.on is not None and end.on is not None
            if end.on <= start.on:
                continue  # denounced before it was ever bound
        result.append(Period(start, end))
    return tuple(result)


@dataclass(frozen=True)
class Binding:
    """Whether ``state`` is bound on ``on``, since when and until when, and how sure."""

    state: str
    on: date
    bound: bool
    period: Period | None = None
    next_period: Period | None = None

    @property
    def confidence(self) -> Confidence:
        if self.period is not None:
            return self.period.confidence
        if self.next_period is not None:
            return self.next_period.confidence
        return "confirmed"

    def as_json(self) -> dict[str, Any]:
        period = self.period or self.next_period
        return {
            "state": self.state,
            "on": self.on.isoformat(),
            "bound": self.bound,
            "since" if self.bound else "from": (
                period.start.on.isoformat() if period and period.start.on else None
            ),
            "rule": period.start.rule if period else None,
            "until": (
                period.end.on.isoformat() if period and period.end and period.end.on else None
            ),
            "confidence": self.confidence,
        }


def bound(tl: Timeline, state: str, on: date) -> Binding:
    """Whether the Convention binds ``state`` on the day ``on``; if not, the next span
    that will bind it (on what is known) if any."""
    spans = periods(tl, state)
    for span in spans:
        if span.covers(on):
            return Binding(state, on, True, span)
    later = [s for s in spans if s.start.on is not None and s.start.on > on]
    return Binding(state, on, False, None, later[0] if later else None)


# --- the status of the whole treaty --------------------------------------------------------


@dataclass(frozen=True)
class TreatyStatus:
    """The treaty as it stands on ``as_of`` (with any assumptions): what a page or
    `hanoi treaty status` shows. See :func:`status`."""

    as_of: date
    fictional: bool
    signatories: tuple[dict[str, Any], ...]
    reported_counts: tuple[dict[str, Any], ...]
    instruments: tuple[dict[str, Any], ...]
    counted: int
    counted_confirmed: int
    entry_into_force: EntryIntoForce
    confirmed_entry_into_force: EntryIntoForce
    parties: tuple[Binding, ...]
    assumed: tuple[Assumption, ...] = field(default=())

    @property
    def in_force(self) -> bool:
        return self.entry_into_force.on is not None and self.entry_into_force.on <= self.as_of

    def as_json(self) -> dict[str, Any]:
        listed = len(self.signatories)
        listed_confirmed = sum(1 for s in self.signatories if s["confidence"] == "confirmed")
        return {
            "as_of": self.as_of.isoformat(),
            "fictional": self.fictional,
            "signatories": {
                "listed": listed,
                "listed_confirmed": listed_confirmed,
                "reported": [
                    {**c, "agrees_with_list": c["count"] == listed} for c in self.reported_counts
                ],
                "list": list(self.signatories),
            },
            "instruments": {
                "needed": INSTRUMENTS_NEEDED,
                "counted": self.counted,
                "counted_confirmed": self.counted_confirmed,
                "list": list(self.instruments),
            },
            "entry_into_force": self.entry_into_force.as_json(),
            "entry_into_force_on_confirmed_rows": self.confirmed_entry_into_force.as_json(),
            "in_force": self.in_force,
            "parties": [p.as_json() for p in self.parties],
            "assumed": [
                {"state": a.state, "action": str(a.kind), "date": a.date.isoformat()}
                for a in self.assumed
            ],
        }


def status(record: TreatyRecord, as_of: date, assume: Sequence[Assumption] = ()) -> TreatyStatus:
    """The treaty on ``as_of``, from every row of ``record`` and the ``assume``d ones.

    ``entry_into_force`` rests on every row (reported ones and assumptions included, and
    is then ``unconfirmed``); ``confirmed_entry_into_force`` on the confirmed rows alone.
    Signatories and instruments are those dated on or before ``as_of``; the counts sources
    state are listed beside them (those dated after ``as_of`` left out)."""
    tl = timeline(record, assume)
    solid = Timeline.of((e for e in tl.events if e.solid), tl.reios)
    names = {s.code: s.name for s in record.states}
    signatories = []
    instruments = []
    for state in sorted(record.states, key=lambda s: s.code):
        for action in state.sorted_actions():
            if action.date > as_of:
                continue
            row = {
                "state": state.code,
                "name": state.name,
                "action": str(action.kind),
                "date": action.date.isoformat(),
                "dated": action.dated,
                "source": action.source,
                "confidence": action.confidence,
                "reio": state.reio,
            }
            if action.kind is ActionKind.SIGNATURE:
                signatories.append(row)
            elif action.kind in CONSENT:
                instruments.append(row)
    for a in assume:
        if a.date <= as_of and a.kind in CONSENT:
            instruments.append(
                {
                    "state": a.state,
                    "name": names.get(a.state, a.state),
                    "action": str(a.kind),
                    "date": a.date.isoformat(),
                    "dated": "exact",
                    "source": None,
                    "confidence": "unconfirmed",
                    "reio": a.state in tl.reios,
                    "assumed": True,
                }
            )
    reported = tuple(
        {
            "of": c.of,
            "count": c.count,
            "as_of": c.as_of.isoformat() if c.as_of else None,
            "source": c.source,
            "confidence": c.confidence,
            **({"note": c.note} if c.note else {}),
        }
        for c in record.reported
        if c.of == "signatories" and (c.as_of is None or c.as_of <= as_of)
    )
    codes = sorted({e.state for e in tl.events})
    parties = tuple(b for b in (bound(tl, code, as_of) for code in codes) if b.bound)
    return TreatyStatus(
        as_of=as_of,
        fictional=record.fictional,
        signatories=tuple(signatories),
        reported_counts=reported,
        instruments=tuple(instruments),
        counted=counted_instruments(tl, as_of),
        counted_confirmed=counted_instruments(solid, as_of),
        entry_into_force=convention_entry_into_force(tl),
        confirmed_entry_into_force=convention_entry_into_force(solid),
        parties=parties,
        assumed=tuple(assume),
    )

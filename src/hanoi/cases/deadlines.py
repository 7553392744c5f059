"""Every deadline of a request, computed in one place.

The durations, articles and confidence come from the instrument's time rules in the
Convention data, so a reviewer who corrects a rule there changes every reminder at once.
All times are timezone-aware UTC: a node's local clock never decides whether something is
late, because the two nodes of a request may sit in different time zones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from hanoi.cases.lifecycle import PRESERVATION_RULE, Status, is_final
from hanoi.convention import Instrument, TimeRule, get_convention
from hanoi.i18n.marker import N_

__all__ = [
    "ACK_24_7_RULE",
    "ACK_CENTRAL_RULE",
    "CENTRAL_REMINDER",
    "POINT_OF_CONTACT_REMINDER",
    "PRESERVATION_EXPIRY",
    "PRESERVATION_REMINDER",
    "CaseTimes",
    "Deadline",
    "deadlines",
    "next_due",
    "overdue",
]

ACK_24_7_RULE = "acknowledge-24-7"
ACK_CENTRAL_RULE = "acknowledge-central-authority"
PRESERVATION_EXPIRY = "preservation-expiry"

PRESERVATION_REMINDER = timedelta(days=15)
"""Long enough to prepare and send the follow-up request before the data may go."""
POINT_OF_CONTACT_REMINDER = timedelta(hours=1)
CENTRAL_REMINDER = timedelta(days=1)

_T = TypeVar("_T")


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got the naive {value}")


@dataclass(frozen=True)
class Deadline:
    """One thing to do by ``due``; ``reminder_before`` opens the reminder window. ``label``
    is a message id of the pages' catalogue (the pages translate it where they show it)."""

    rule: str
    label: str
    due: datetime
    article: str
    confidence: str
    reminder_before: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        _require_aware(self.due, "due")
        object.__setattr__(self, "due", self.due.astimezone(UTC))

    def is_overdue(self, now: datetime) -> bool:
        """True from the due instant on."""
        _require_aware(now, "now")
        return now >= self.due

    def reminder_due(self, now: datetime) -> bool:
        """True from ``reminder_before`` ahead of the due instant until it is due."""
        _require_aware(now, "now")
        return self.due - self.reminder_before <= now < self.due


@dataclass(frozen=True)
class CaseTimes:
    """The part of a request the deadlines depend on.

    ``urgent`` is carried for callers that sort or flag by it; the Convention data hold no
    shorter time rule for urgent requests, so it does not change any deadline.
    """

    kind: str
    status: Status
    urgent: bool
    to_point_of_contact: bool
    received_at: datetime | None
    preserved_until: date | None
    followup_pending: bool = False


def deadlines(times: CaseTimes, *, ack_hours_24_7: int | None = None) -> list[Deadline]:
    """The deadlines running now for a request, earliest first.

    ``ack_hours_24_7`` is the node's own service level for its 24/7 point of contact and
    replaces the hours of the ``acknowledge-24-7`` rule.
    """
    if ack_hours_24_7 is not None and ack_hours_24_7 < 1:
        raise ValueError(f"ack_hours_24_7 must be at least 1, got {ack_hours_24_7}")
    if times.received_at is not None:
        _require_aware(times.received_at, "received_at")
    instrument = get_convention().instrument(times.kind)
    status = Status(times.status)
    found: list[Deadline] = []
    if is_final(status):
        return found
    if status is Status.RECEIVED and times.received_at is not None:
        ack = _acknowledgement(instrument, times, ack_hours_24_7)
        if ack is not None:
            found.append(ack)
    if status is Status.PRESERVED and not times.followup_pending:
        expiry = _expiry(instrument, times.preserved_until)
        if expiry is not None:
            found.append(expiry)
    return sorted(found, key=lambda d: d.due)


def overdue(items: Iterable[tuple[_T, list[Deadline]]], now: datetime) -> list[tuple[_T, Deadline]]:
    """Every overdue deadline of many requests, paired with its request, earliest first."""
    _require_aware(now, "now")
    late = [(item, d) for item, found in items for d in found if d.is_overdue(now)]
    return sorted(late, key=lambda pair: pair[1].due)


def next_due(items: Iterable[Deadline]) -> Deadline | None:
    """The earliest deadline, overdue or not; None if there is none."""
    return min(items, key=lambda d: d.due, default=None)


def _acknowledgement(
    instrument: Instrument, times: CaseTimes, hours_24_7: int | None
) -> Deadline | None:
    """The acknowledgement deadline from the rule matching the addressee; the other rule
    stands in when the instrument lacks it."""
    rules = {rule.id: rule for rule in instrument.time_rules}
    order = (ACK_24_7_RULE, ACK_CENTRAL_RULE)
    if not times.to_point_of_contact:
        order = order[::-1]
    rule = next((rules[i] for i in order if i in rules), None)
    if rule is None or times.received_at is None:
        return None
    if rule.id == ACK_24_7_RULE:
        length = _length(rule) if hours_24_7 is None else timedelta(hours=hours_24_7)
        reminder = POINT_OF_CONTACT_REMINDER
    else:
        length, reminder = _length(rule), CENTRAL_REMINDER
    return Deadline(
        rule=rule.id,
        label=N_("Acknowledge receipt"),
        due=times.received_at.astimezone(UTC) + length,
        article=str(rule.article),
        confidence=rule.confidence,
        reminder_before=reminder,
    )


def _expiry(instrument: Instrument, until: date | None) -> Deadline | None:
    """The end of the last preserved day, i.e. 00:00 UTC the day after ``until``."""
    rule = next((r for r in instrument.time_rules if r.id == PRESERVATION_RULE), None)
    if rule is None or until is None:
        return None
    return Deadline(
        rule=PRESERVATION_EXPIRY,
        label=N_("Preservation ends"),
        due=datetime.combine(until + timedelta(days=1), time(0), tzinfo=UTC),
        article=str(rule.article),
        confidence=rule.confidence,
        reminder_before=PRESERVATION_REMINDER,
    )


def _length(rule: TimeRule) -> timedelta:
    return timedelta(days=rule.days or 0, hours=rule.hours or 0)

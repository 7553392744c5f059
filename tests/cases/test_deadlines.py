"""Deadlines: acknowledgement and preservation expiry, from the Convention's time rules."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hanoi.cases.deadlines import (
    PRESERVATION_REMINDER,
    CaseTimes,
    Deadline,
    deadlines,
    next_due,
    overdue,
)
from hanoi.cases.lifecycle import Status
from hanoi.convention import KINDS, TimeRule, UnknownInstrumentError, get_convention

RECEIVED_AT = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)


def _rule(kind: str, rule_id: str) -> TimeRule:
    return next(r for r in get_convention().instrument(kind).time_rules if r.id == rule_id)


def _times(
    kind: str = "preservation",
    status: Status = Status.RECEIVED,
    *,
    to_point_of_contact: bool = True,
    received_at: datetime | None = RECEIVED_AT,
    preserved_until: date | None = None,
    followup_pending: bool = False,
) -> CaseTimes:
    return CaseTimes(
        kind=kind,
        status=status,
        urgent=False,
        to_point_of_contact=to_point_of_contact,
        received_at=received_at,
        preserved_until=preserved_until,
        followup_pending=followup_pending,
    )


def test_24_7_acknowledgement_is_due_4_hours_after_receipt() -> None:
    rule = _rule("preservation", "acknowledge-24-7")
    assert rule.hours == 4
    [ack] = deadlines(_times())
    assert ack == Deadline(
        rule="acknowledge-24-7",
        label="Acknowledge receipt",
        due=datetime(2026, 11, 30, 2, 30, tzinfo=UTC),
        article=str(rule.article),
        confidence=rule.confidence,
        reminder_before=timedelta(hours=1),
    )
    assert ack.due - RECEIVED_AT == timedelta(hours=rule.hours)


def test_node_setting_overrides_the_24_7_hours() -> None:
    [ack] = deadlines(_times(), ack_hours_24_7=2)
    assert ack.due == RECEIVED_AT + timedelta(hours=2)
    with pytest.raises(ValueError, match="at least 1"):
        deadlines(_times(), ack_hours_24_7=0)


def test_central_authority_acknowledgement_is_due_5_days_after_receipt() -> None:
    rule = _rule("mla", "acknowledge-central-authority")
    [ack] = deadlines(_times("mla", to_point_of_contact=False), ack_hours_24_7=2)
    assert ack.rule == "acknowledge-central-authority"
    assert (
        ack.due == RECEIVED_AT + timedelta(days=5) == RECEIVED_AT + timedelta(days=rule.days or 0)
    )
    assert ack.reminder_before == timedelta(days=1)
    assert (ack.article, ack.confidence) == (str(rule.article), rule.confidence)


def test_missing_rule_falls_back_to_the_other_one() -> None:
    # preservation has only the 24/7 rule, mla only the central-authority rule
    [ack] = deadlines(_times("preservation", to_point_of_contact=False))
    assert (ack.rule, ack.due) == ("acknowledge-24-7", RECEIVED_AT + timedelta(hours=4))
    [ack] = deadlines(_times("mla", to_point_of_contact=True))
    assert (ack.rule, ack.due) == ("acknowledge-central-authority", RECEIVED_AT + timedelta(days=5))


def test_no_acknowledgement_rule_no_deadline() -> None:
    assert deadlines(_times("police-information")) == []
    assert deadlines(_times("extradition", to_point_of_contact=False)) == []


def test_acknowledgement_only_while_received_with_a_time() -> None:
    assert deadlines(_times(received_at=None)) == []
    for status in (Status.SENT, Status.ACKNOWLEDGED, Status.IN_EXECUTION):
        assert deadlines(_times("mla", status)) == []


def test_received_at_in_another_zone_is_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    [ack] = deadlines(_times(received_at=datetime(2026, 11, 30, 0, 30, tzinfo=plus_two)))
    assert ack.due == datetime(2026, 11, 30, 2, 30, tzinfo=UTC)
    assert ack.due.tzinfo is UTC


def test_preservation_expiry_at_the_end_of_the_last_day() -> None:
    rule = _rule("preservation", "preservation-minimum-period")
    times = _times(status=Status.PRESERVED, preserved_until=date(2027, 1, 28))
    [expiry] = deadlines(times)
    assert expiry == Deadline(
        rule="preservation-expiry",
        label="Preservation ends",
        due=datetime(2027, 1, 29, tzinfo=UTC),
        article=str(rule.article),
        confidence=rule.confidence,
        reminder_before=PRESERVATION_REMINDER,
    )
    assert timedelta(days=15) == PRESERVATION_REMINDER


def test_preservation_reminder_window() -> None:
    [expiry] = deadlines(_times(status=Status.PRESERVED, preserved_until=date(2027, 1, 28)))
    opens = datetime(2027, 1, 14, tzinfo=UTC)
    assert not expiry.reminder_due(opens - timedelta(microseconds=1))
    assert expiry.reminder_due(opens)
    assert expiry.reminder_due(datetime(2027, 1, 28, 23, 59, 59, tzinfo=UTC))
    assert not expiry.is_overdue(datetime(2027, 1, 28, 23, 59, 59, tzinfo=UTC))
    assert not expiry.reminder_due(datetime(2027, 1, 29, tzinfo=UTC))
    assert expiry.is_overdue(datetime(2027, 1, 29, tzinfo=UTC))


def test_ack_reminder_one_hour_before() -> None:
    [ack] = deadlines(_times())
    assert not ack.reminder_due(ack.due - timedelta(hours=1, seconds=1))
    assert ack.reminder_due(ack.due - timedelta(hours=1))
    assert not ack.reminder_due(ack.due)
    assert ack.is_overdue(ack.due)


def test_no_expiry_while_followup_pending_or_without_a_date() -> None:
    pending = _times(
        status=Status.PRESERVED, preserved_until=date(2027, 1, 28), followup_pending=True
    )
    assert deadlines(pending) == []
    assert deadlines(_times(status=Status.PRESERVED, preserved_until=None)) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "status",
    [
        Status.EXECUTED,
        Status.PARTIALLY_EXECUTED,
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.LAPSED,
        Status.RELEASED,
    ],
)
def test_no_deadlines_for_final_statuses(kind: str, status: Status) -> None:
    times = _times(kind, status, preserved_until=date(2027, 1, 28))
    assert deadlines(times) == []


def test_naive_datetimes_refused() -> None:
    naive = datetime(2026, 11, 29, 12, 0)
    with pytest.raises(ValueError, match="received_at must be timezone-aware"):
        deadlines(_times(received_at=naive))
    [ack] = deadlines(_times())
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        ack.is_overdue(naive)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        ack.reminder_due(naive)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        overdue([("a", [ack])], naive)
    with pytest.raises(ValueError, match="due must be timezone-aware"):
        Deadline("r", "l", naive, "Art. 40", "unconfirmed")


def test_unknown_kind_raises_the_convention_error() -> None:
    with pytest.raises(UnknownInstrumentError):
        deadlines(_times("telepathy"))


def test_overdue_pairs_items_and_sorts_by_due() -> None:
    early = deadlines(_times(received_at=datetime(2026, 11, 1, tzinfo=UTC)))
    late = deadlines(_times("mla", received_at=datetime(2026, 10, 1, tzinfo=UTC)))
    not_yet = deadlines(_times(received_at=datetime(2026, 12, 1, tzinfo=UTC)))
    expired = deadlines(_times(status=Status.PRESERVED, preserved_until=date(2026, 10, 20)))
    now = datetime(2026, 11, 15, tzinfo=UTC)
    result = overdue([("p1", early), ("m1", late), ("p2", not_yet), ("x", expired), ("y", [])], now)
    assert [(item, d.rule) for item, d in result] == [
        ("m1", "acknowledge-central-authority"),
        ("x", "preservation-expiry"),
        ("p1", "acknowledge-24-7"),
    ]
    assert overdue([], now) == []


def test_next_due_is_the_earliest() -> None:
    first = Deadline("a", "A", datetime(2026, 12, 2, tzinfo=UTC), "Art. 40", "unconfirmed")
    second = Deadline("b", "B", datetime(2026, 12, 3, tzinfo=UTC), "Art. 40", "unconfirmed")
    assert next_due([second, first]) is first
    assert next_due([]) is None

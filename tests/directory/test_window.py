"""An entry's validity window: a node keeps every verified entry but uses only those in
effect, read in UTC calendar days, both ends included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hanoi.directory.entry import Entry, utc_day
from hanoi.directory.view import node_directory
from tests.directory.conftest import World, entry_dict


def _entry(start: str, end: str | None = None) -> Entry:
    data = entry_dict("XA")
    data["effective_from"] = start
    if end is not None:
        data["valid_until"] = end
    return Entry.model_validate(data)


def test_the_window_includes_both_ends() -> None:
    entry = _entry("2027-01-01", "2027-12-31")
    assert entry.effect_on(date(2026, 12, 31)) == "not_yet"
    assert entry.effect_on(date(2027, 1, 1)) == "in_effect"
    assert entry.effect_on(date(2027, 12, 31)) == "in_effect"
    assert entry.effect_on(date(2028, 1, 1)) == "ended"
    assert entry.effect_note(date(2026, 12, 31)) == ("not yet in effect: effective from 2027-01-01")
    assert entry.effect_note(date(2028, 1, 1)) == "no longer in effect: valid until 2027-12-31"
    assert entry.effect_note(date(2027, 6, 1)) is None


def test_without_valid_until_an_entry_has_no_end() -> None:
    entry = _entry("2026-01-01")
    assert entry.in_effect(date(2126, 1, 1)) and not entry.in_effect(date(2025, 12, 31))


def test_days_are_utc_days() -> None:
    # 23:30 on 31 December in New York is already 1 January in UTC.
    new_york = timezone(timedelta(hours=-5))
    assert utc_day(datetime(2026, 12, 31, 23, 30, tzinfo=new_york)) == date(2027, 1, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_day(datetime(2027, 1, 1, 12, 0))


def test_the_client_leaves_out_entries_not_in_effect(world: World) -> None:
    node = world.node()
    windowed = entry_dict("XA")
    windowed.update(version=2, effective_from="2027-01-01", valid_until="2027-12-31")
    world.repo.publish([world.hand_in("XA", version=2, entry=windowed)])
    node.refresh()

    def codes(at: datetime) -> list[str]:
        return [e.code for e in node.entries(now=at)]

    before = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    first = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    last = datetime(2027, 12, 31, 23, 59, tzinfo=UTC)
    after = datetime(2028, 1, 1, 0, 0, tzinfo=UTC)
    assert codes(before) == ["XB"] and codes(after) == ["XB"]
    assert codes(first) == ["XA", "XB"] and codes(last) == ["XA", "XB"]
    assert node.entry("XA", now=before) is None and node.entry("XA", now=after) is None
    found = node.entry("XA", now=first)
    assert found is not None and found.version == 2
    # Still verified and kept, whatever the day: only its use depends on the window.
    kept = node.verified_entry("XA")
    assert kept is not None and kept.valid_until == date(2027, 12, 31)
    assert [e.code for e in node.verified_entries()] == ["XA", "XB"]
    assert node.verified_entry("XC") is None
    with pytest.raises(ValueError, match="timezone-aware"):
        node.entries(now=datetime(2027, 6, 1))


def test_the_checker_does_not_know_a_state_whose_entry_is_not_in_effect(world: World) -> None:
    node = world.node()
    node.refresh()
    assert node_directory(node.home).state("XA") is not None
    today = datetime.now(UTC).date()
    future = entry_dict("XA")
    future.update(version=2, effective_from=(today + timedelta(days=10)).isoformat())
    world.repo.publish([world.hand_in("XA", version=2, entry=future)])
    node.refresh()
    states = node_directory(node.home)
    assert states.state("XA") is None and states.state("XB") is not None

"""Entry into force, computed: Art. 65(1) and (2) and Art. 67 on constructed histories,
and the arithmetic's properties checked with Hypothesis (any order of the rows, more
deposits never later, the 40th instrument, organisations' instruments, leap years,
denunciations)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoi.treaty.entry_into_force import (
    Assumption,
    Event,
    Timeline,
    bound,
    convention_entry_into_force,
    counted_instruments,
    denunciation_takes_effect,
    parse_assumption,
    periods,
    status,
    timeline,
)
from hanoi.treaty.record import ActionKind, TreatyRecordError
from tests.treaty.histories import CODES, HANOI, deposits, ratifier, record, row, state

# No deadline (no timing thresholds in tests), a fixed sequence of examples, no example
# database left in the work tree.
PROPERTY = settings(deadline=None, derandomize=True, database=None, max_examples=120)

RAT = ActionKind.RATIFICATION
DAYS = st.dates(min_value=HANOI, max_value=date(2031, 12, 31))


def instruments(days: list[date], first: int = 0) -> list[Event]:
    return [Event(day, CODES[first + i], RAT) for i, day in enumerate(days)]


def eif(events: list[Event], reios: frozenset[str] = frozenset()) -> date | None:
    return convention_entry_into_force(Timeline.of(events, reios)).on


# --- constructed histories --------------------------------------------------------------


def test_39_instruments_give_no_date_40_give_the_90th_day_41_the_same() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(41)]
    assert (
        convention_entry_into_force(
            deposits(days[:39]).model_copy() and timeline(deposits(days[:39]))
        ).on
        is None
    )
    forty = convention_entry_into_force(timeline(deposits(days[:40])))
    assert forty.on == date(2026, 2, 9) + timedelta(days=90) == date(2026, 5, 10)
    assert (forty.rule, forty.confidence, forty.rule_confidence) == (
        "Art. 65(1)",
        "confirmed",
        "confirmed",
    )
    assert forty.fortieth is not None and forty.fortieth.state == CODES[39]
    assert convention_entry_into_force(timeline(deposits(days))).on == forty.on


def test_states_before_the_40th_are_bound_from_the_conventions_date_later_ones_30_days_after() -> (
    None
):
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(40)]
    later = [date(2026, 3, 1), date(2026, 6, 1)]  # before and after the Convention's date
    tl = timeline(deposits([*days, *later]))
    first = bound(tl, CODES[0], date(2026, 5, 10))
    assert first.bound and first.period is not None
    assert (first.period.start.on, first.period.start.rule) == (date(2026, 5, 10), "Art. 65(1)")
    assert first.confidence == "confirmed"
    assert not bound(tl, CODES[0], date(2026, 5, 9)).bound
    early, late = periods(tl, CODES[40])[0], periods(tl, CODES[41])[0]
    assert (early.start.on, early.start.rule, early.confidence) == (
        date(2026, 5, 10),  # 30 days after 1 March is earlier: the Convention's date
        "Art. 65(2)",
        "unconfirmed",
    )
    assert late.start.on == date(2026, 7, 1)
    waiting = bound(tl, CODES[41], date(2026, 6, 15))
    assert not waiting.bound and waiting.as_json()["from"] == "2026-07-01"


def test_an_organisations_instrument_never_counts_toward_the_40() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(39)]
    eu = state(
        "EU",
        row("signature", HANOI),
        row("approval", date(2026, 1, 1)),
        reio=True,
        members=["FR", "DE"],
        name="European Union",
    )
    with_eu = record([*(ratifier(c, d) for c, d in zip(CODES, days, strict=False)), eu])
    tl = timeline(with_eu)
    assert convention_entry_into_force(tl).on is None
    assert counted_instruments(tl, date(2027, 1, 1)) == 39
    # Once the Convention is in force, the organisation is bound like a State.
    fortieth = Assumption(CODES[39], RAT, date(2026, 4, 1))
    tl = timeline(with_eu, [Assumption(CODES[39], ActionKind.SIGNATURE, HANOI), fortieth])
    assert convention_entry_into_force(tl).on == date(2026, 6, 30)
    assert bound(tl, "EU", date(2026, 6, 30)).bound


def test_a_denunciation_takes_effect_a_year_later_and_may_delay_the_40th() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(39)] + [date(2027, 3, 1)]
    states = [ratifier(c, d) for c, d in zip(CODES, days, strict=False)]
    states[0] = ratifier(CODES[0], days[0], row("denunciation", date(2026, 1, 2)))
    tl = timeline(record(states))
    # The first instrument stops counting on 2027-01-02: 39 remain on 1 March 2027.
    assert convention_entry_into_force(tl).on is None
    assert counted_instruments(tl, date(2027, 3, 1)) == 39
    # A 41st instrument brings it in, on a date that rests on the denunciation's period.
    tl = timeline(record([*states, ratifier(CODES[40], date(2027, 4, 1))]))
    late = convention_entry_into_force(tl)
    assert (late.on, late.confidence) == (date(2027, 6, 30), "unconfirmed")
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(40)]
    states = [ratifier(c, d) for c, d in zip(CODES, days, strict=False)]
    effect = denunciation_takes_effect(date(2026, 1, 2))
    assert (effect.on, effect.rule, effect.confidence) == (
        date(2027, 1, 2),
        "Art. 67",
        "unconfirmed",
    )
    # A denunciation after entry into force ends the State's period, flagged unconfirmed.
    states[0] = ratifier(CODES[0], days[0], row("denunciation", date(2026, 8, 1)))
    tl = timeline(record(states))
    assert convention_entry_into_force(tl).on == date(2026, 5, 10)
    binding = bound(tl, CODES[0], date(2027, 7, 31))
    assert binding.bound and binding.confidence == "unconfirmed"
    assert binding.as_json()["until"] == "2027-08-01"
    assert not bound(tl, CODES[0], date(2027, 8, 1)).bound


def test_leap_years() -> None:
    # The 40th on 2 December 2027: 90 days later runs through 29 February 2028.
    days = [date(2027, 12, 2)] * 40
    assert eif(instruments(days)) == date(2028, 3, 1)
    assert eif(instruments([date(2026, 12, 2)] * 40)) == date(2027, 3, 2)
    assert eif(instruments([date(2028, 2, 29)] * 40)) == date(2028, 5, 29)
    # A later State depositing on 29 February 2028 is bound 30 days later.
    tl = Timeline.of([*instruments([date(2027, 1, 1)] * 40), Event(date(2028, 2, 29), "GB", RAT)])
    assert periods(tl, "GB")[0].start.on == date(2028, 3, 30)
    # A denunciation notified on 29 February takes effect on 28 February.
    assert denunciation_takes_effect(date(2028, 2, 29)).on == date(2029, 2, 28)


def test_unconfirmed_rows_and_assumptions_make_the_date_unconfirmed() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(39)]
    base = deposits(days)
    extra = [
        Assumption(CODES[39], ActionKind.SIGNATURE, HANOI),
        Assumption(CODES[39], RAT, date(2026, 9, 1)),
    ]
    result = status(base, date(2026, 12, 31), extra)
    assert result.entry_into_force.on == date(2026, 11, 30)
    assert result.entry_into_force.confidence == "unconfirmed"
    assert result.confirmed_entry_into_force.on is None
    assert result.in_force
    data = result.as_json()
    assert data["instruments"]["counted"] == 40 and data["instruments"]["counted_confirmed"] == 39
    assert {p["state"] for p in data["parties"]} == set(CODES[:40])
    assert data["assumed"][1] == {
        "state": CODES[39],
        "action": "ratification",
        "date": "2026-09-01",
    }
    # Before that day the same record answers "not yet in force".
    assert not status(base, date(2026, 11, 29), extra).in_force


def test_assumptions_are_checked_like_rows() -> None:
    base = deposits([date(2026, 1, 1)])
    with pytest.raises(TreatyRecordError, match="no signature before it"):
        timeline(base, [parse_assumption("DE:ratification:2026-03-01")])
    with pytest.raises(TreatyRecordError, match="in effect"):
        timeline(base, [parse_assumption(f"{CODES[0]}:approval:2026-03-01")])
    assert parse_assumption("fra:accession:2027-03-01") == Assumption(
        "FR", ActionKind.ACCESSION, date(2027, 3, 1)
    )
    for bad in ("FR:ratification", "FR:reservation:2027-01-01", "FR:ratification:1 March"):
        with pytest.raises(TreatyRecordError):
            parse_assumption(bad)


def test_the_count_stated_by_a_source_is_shown_beside_the_list() -> None:
    loaded = record(
        [ratifier("FR", date(2026, 3, 1)), state("DE", row("signature", HANOI))],
        reported=[
            {
                "of": "signatories",
                "count": 72,
                "source": "https://treaties.un.org/x",
                "confidence": "confirmed",
            },
            {
                "of": "signatories",
                "count": 2,
                "as_of": "2026-01-01",
                "source": "https://example.org/y",
                "confidence": "unconfirmed",
            },
            {
                "of": "signatories",
                "count": 9,
                "as_of": "2027-01-01",
                "source": "https://example.org/z",
                "confidence": "unconfirmed",
            },
        ],
    )
    data = status(loaded, date(2026, 6, 1)).as_json()["signatories"]
    assert data["listed"] == 2
    assert [(c["count"], c["agrees_with_list"]) for c in data["reported"]] == [
        (72, False),
        (2, True),
    ]


# --- properties -------------------------------------------------------------------------


@PROPERTY
@given(st.lists(DAYS, min_size=0, max_size=45), st.randoms(use_true_random=False))
def test_the_order_of_the_rows_does_not_matter(days: list[date], rnd: random.Random) -> None:
    states = [ratifier(c, d) for c, d in zip(CODES, days, strict=False)]
    shuffled = [{**s, "actions": s["actions"][:]} for s in states]
    rnd.shuffle(shuffled)
    for s in shuffled:
        rnd.shuffle(s["actions"])
    as_of = date(2028, 1, 1)
    assert status(record(states), as_of).as_json() == status(record(shuffled), as_of).as_json()


@PROPERTY
@given(st.lists(DAYS, min_size=0, max_size=50), st.lists(DAYS, min_size=0, max_size=10))
def test_more_deposits_never_delay_entry_into_force(base: list[date], more: list[date]) -> None:
    before = eif(instruments(base))
    after = eif(instruments(base) + instruments(more, first=len(base)))
    assert before is None or (after is not None and after <= before)


@PROPERTY
@given(st.lists(DAYS, min_size=0, max_size=55))
def test_the_date_is_the_90th_day_after_the_40th_deposit(days: list[date]) -> None:
    result = convention_entry_into_force(Timeline.of(instruments(days)))
    if len(days) < 40:
        assert result.on is None and result.fortieth is None
    else:
        fortieth = sorted(days)[39]
        assert result.on == fortieth + timedelta(days=90)
        assert result.fortieth is not None and result.fortieth.on == fortieth


@PROPERTY
@given(
    st.lists(DAYS, min_size=0, max_size=45), DAYS, st.lists(st.sampled_from(CODES[:45]), max_size=5)
)
def test_an_organisations_instrument_changes_nothing(
    days: list[date], day: date, members: list[str]
) -> None:
    events = instruments(days)
    with_eu = [*events, Event(day, "EU", ActionKind.APPROVAL)]
    assert eif(with_eu, frozenset({"EU"})) == eif(events)


@PROPERTY
@given(st.lists(DAYS, min_size=40, max_size=45), st.integers(0, 39), DAYS)
def test_a_denunciation_ends_the_states_period_a_year_after_notice(
    days: list[date], who: int, notice: date
) -> None:
    code = CODES[who]
    deposit = days[who]
    if notice < deposit:
        notice = deposit
    tl = Timeline.of([*instruments(days), Event(notice, code, ActionKind.DENUNCIATION)])
    effect = denunciation_takes_effect(notice).on
    assert effect is not None
    assert not bound(tl, code, effect).bound
    for span in periods(tl, code):
        assert span.end is not None and span.end.on == effect and span.confidence == "unconfirmed"
        assert span.start.on is not None and span.start.on < effect
        assert bound(tl, code, effect - timedelta(days=1)).bound
    # Without the denunciation the Convention is never later.
    without = eif(instruments(days))
    with_it = convention_entry_into_force(tl).on
    assert without is not None and (with_it is None or without <= with_it)


@PROPERTY
@given(DAYS)
def test_every_day_of_a_leap_year_gives_a_date_90_days_on(day: date) -> None:
    assert eif(instruments([day] * 40)) == day + timedelta(days=90)
    effect = denunciation_takes_effect(day).on
    assert effect is not None and effect.year == day.year + 1
    assert 365 <= (effect - day).days <= 366


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """States that deposit, some of which denounce and some of those accede again."""
    events: list[Event] = []
    for code in CODES[: draw(st.integers(0, 48))]:
        deposit = draw(DAYS)
        events.append(Event(deposit, code, RAT))
        if draw(st.booleans()) and draw(st.booleans()):
            notice = deposit + timedelta(days=draw(st.integers(0, 900)))
            events.append(Event(notice, code, ActionKind.DENUNCIATION))
            if draw(st.booleans()):
                effect = denunciation_takes_effect(notice).on
                assert effect is not None
                again = effect + timedelta(days=draw(st.integers(0, 400)))
                events.append(Event(again, code, ActionKind.ACCESSION))
    return events


def day_by_day(events: list[Event]) -> date | None:
    """The Convention's date found the slow way: count the instruments in effect each day."""
    for day in sorted({e.on for e in events if e.kind in {RAT, ActionKind.ACCESSION}}):
        in_effect = 0
        for code in {e.state for e in events}:
            mine = sorted((e for e in events if e.state == code), key=lambda e: e.on)
            holding = False
            for e in mine:
                if e.kind is ActionKind.DENUNCIATION:
                    effect = denunciation_takes_effect(e.on).on
                    assert effect is not None
                    if effect <= day:
                        holding = False
                elif e.on <= day:
                    holding = True
            in_effect += holding
        if in_effect >= 40:
            return day + timedelta(days=90)
    return None


@PROPERTY
@given(histories())
def test_the_date_agrees_with_a_day_by_day_count(events: list[Event]) -> None:
    result = convention_entry_into_force(Timeline.of(events))
    assert result.on == day_by_day(events)
    if any(e.kind is ActionKind.DENUNCIATION for e in result.rests_on):
        assert result.confidence == "unconfirmed"

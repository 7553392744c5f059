"""The request lifecycle: every allowed transition, the refused ones, and that what depends
on the Convention (grounds, preservation period) really comes from its data."""

from datetime import date, timedelta
from typing import Any

import pytest

from hanoi.cases.errors import CasesError
from hanoi.cases.lifecycle import (
    MAX_REASON_LENGTH,
    Action,
    ActionRequest,
    CaseState,
    LifecycleError,
    Outcome,
    Side,
    Status,
    apply_action,
    is_final,
    is_preservable,
    minimum_preservation_days,
    user_actions,
)
from hanoi.convention import KINDS, UnknownInstrumentError, get_convention
from tests.raising import raises_check

TODAY = date(2026, 11, 29)
REQUESTING = Side.REQUESTING
REQUESTED = Side.REQUESTED
S = Status
A = Action
USER_ACTIONS = [a for a in Action if a not in (A.SEND, A.RECEIVE, A.LAPSE)]


def _apply(
    kind: str,
    status: Status,
    side: Side,
    action: Action,
    *,
    preserved_until: date | None = None,
    followup_pending: bool = False,
    disclosed: bool = False,
    today: date = TODAY,
    **fields: Any,
) -> Outcome:
    state = CaseState(
        kind=kind,
        status=status,
        preserved_until=preserved_until,
        followup_pending=followup_pending,
        disclosed=disclosed,
    )
    return apply_action(state, side, ActionRequest(action=action, **fields), today=today)


def _grounds(kind: str) -> tuple[str, ...]:
    return get_convention().instrument(kind).refusal_grounds


PRESERVED_UNTIL = TODAY + timedelta(days=30)
MIN_UNTIL = TODAY + timedelta(days=60)

# (kind, from status, side, action, request fields, expected status)
ALLOWED: list[tuple[str, Status, Side, Action, dict[str, Any], Status]] = [
    ("mla", S.DRAFT, REQUESTING, A.SEND, {}, S.SENT),
    ("mla", S.SENT, REQUESTING, A.RECEIVE, {}, S.RECEIVED),
    ("mla", S.SENT, REQUESTED, A.RECEIVE, {}, S.RECEIVED),
    ("mla", S.RECEIVED, REQUESTED, A.ACKNOWLEDGE, {}, S.ACKNOWLEDGED),
    ("mla", S.ACKNOWLEDGED, REQUESTED, A.START, {}, S.IN_EXECUTION),
    ("mla", S.POSTPONED, REQUESTED, A.START, {}, S.IN_EXECUTION),
    ("mla", S.ACKNOWLEDGED, REQUESTED, A.EXECUTE, {}, S.EXECUTED),
    ("mla", S.IN_EXECUTION, REQUESTED, A.EXECUTE, {}, S.EXECUTED),
    ("mla", S.ACKNOWLEDGED, REQUESTED, A.EXECUTE_PARTIALLY, {"reason": "r"}, S.PARTIALLY_EXECUTED),
    ("mla", S.IN_EXECUTION, REQUESTED, A.EXECUTE_PARTIALLY, {"reason": "r"}, S.PARTIALLY_EXECUTED),
    *[
        ("mla", status, REQUESTED, A.REFUSE, {"reason": "r", "ground": "discrimination"}, S.REFUSED)
        for status in (S.RECEIVED, S.ACKNOWLEDGED, S.IN_EXECUTION, S.POSTPONED)
    ],
    ("mla", S.ACKNOWLEDGED, REQUESTED, A.POSTPONE, {"reason": "r"}, S.POSTPONED),
    ("mla", S.IN_EXECUTION, REQUESTED, A.POSTPONE, {"reason": "r"}, S.POSTPONED),
    ("preservation", S.RECEIVED, REQUESTED, A.PRESERVE, {"until": MIN_UNTIL}, S.PRESERVED),
    ("preservation", S.ACKNOWLEDGED, REQUESTED, A.PRESERVE, {"until": MIN_UNTIL}, S.PRESERVED),
    *[
        (kind, status, REQUESTING, A.WITHDRAW, {"reason": "r"}, S.WITHDRAWN)
        for kind, status in [
            ("mla", S.SENT),
            ("mla", S.RECEIVED),
            ("mla", S.ACKNOWLEDGED),
            ("mla", S.IN_EXECUTION),
            ("mla", S.POSTPONED),
            ("preservation", S.PRESERVED),
        ]
    ],
    *[
        (kind, status, side, action, {"reason": "a question"}, status)
        for action in (A.INQUIRE, A.REPLY)
        for side in Side
        for kind, status in [
            ("mla", S.SENT),
            ("mla", S.IN_EXECUTION),
            ("preservation", S.PRESERVED),
        ]
    ],
    *[
        (kind, status, REQUESTED, A.CONSULT, {"reason": "r"}, status)
        for kind, status in [
            ("mla", S.RECEIVED),
            ("mla", S.ACKNOWLEDGED),
            ("mla", S.IN_EXECUTION),
            ("mla", S.POSTPONED),
            ("preservation", S.PRESERVED),
        ]
    ],
]


@pytest.mark.parametrize(("kind", "status", "side", "action", "fields", "expected"), ALLOWED)
def test_allowed_transitions(
    kind: str,
    status: Status,
    side: Side,
    action: Action,
    fields: dict[str, Any],
    expected: Status,
) -> None:
    state = CaseState(kind=kind, status=status)
    outcome = apply_action(state, side, ActionRequest(action=action, **fields), today=TODAY)
    assert outcome.status is expected
    if action in USER_ACTIONS:
        assert action in user_actions(state, side, today=TODAY)


def test_preservation_transitions_from_preserved() -> None:
    extended = _apply(
        "preservation",
        S.PRESERVED,
        REQUESTED,
        A.EXTEND,
        until=PRESERVED_UNTIL + timedelta(1),
        preserved_until=PRESERVED_UNTIL,
    )
    assert (extended.status, extended.preserved_until) == (S.PRESERVED, date(2026, 12, 30))
    assert extended.detail == {"until": "2026-12-30"}

    released = _apply(
        "preservation",
        S.PRESERVED,
        REQUESTED,
        A.RELEASE,
        reason="done",
        preserved_until=PRESERVED_UNTIL,
    )
    assert (released.status, released.preserved_until) == (S.RELEASED, PRESERVED_UNTIL)

    refused = _apply(
        "preservation",
        S.PRESERVED,
        REQUESTED,
        A.REFUSE,
        reason="no",
        ground="essential-interests",
        preserved_until=PRESERVED_UNTIL,
    )
    assert refused.status is S.REFUSED

    lapsed = _apply(
        "preservation",
        S.PRESERVED,
        REQUESTED,
        A.LAPSE,
        today=PRESERVED_UNTIL + timedelta(days=1),
        preserved_until=PRESERVED_UNTIL,
    )
    assert lapsed.status is S.LAPSED


def test_preserve_records_the_date() -> None:
    outcome = _apply("preservation", S.RECEIVED, REQUESTED, A.PRESERVE, until=MIN_UNTIL)
    assert outcome == Outcome(S.PRESERVED, MIN_UNTIL, {"until": "2027-01-28"})


def test_refuse_records_ground_text_and_article_from_the_data() -> None:
    ground = get_convention().refusal_ground("essential-interests")
    outcome = _apply(
        "mla", S.RECEIVED, REQUESTED, A.REFUSE, reason="  harms security \r\n", ground=ground.id
    )
    assert outcome.detail == {
        "reason": "harms security",
        "ground": ground.id,
        "ground_text": ground.text,
        "article": str(ground.article),
    }


def test_postpone_ground_is_optional_but_checked() -> None:
    without = _apply("mla", S.ACKNOWLEDGED, REQUESTED, A.POSTPONE, reason="busy")
    assert without.detail == {"reason": "busy"}
    ground_id = get_convention().instrument("mla").postponement_grounds[0]
    ground = get_convention().postponement_ground(ground_id)
    with_ground = _apply(
        "mla", S.ACKNOWLEDGED, REQUESTED, A.POSTPONE, reason="busy", ground=ground_id
    )
    assert with_ground.detail["ground_text"] == ground.text
    with raises_check(LifecycleError, "ground") as info:
        _apply("mla", S.ACKNOWLEDGED, REQUESTED, A.POSTPONE, reason="busy", ground="discrimination")
    assert info.value.allowed == get_convention().instrument("mla").postponement_grounds


def test_inquire_changes_nothing_but_records_the_question() -> None:
    outcome = _apply(
        "preservation",
        S.PRESERVED,
        REQUESTING,
        A.INQUIRE,
        reason="Line one\n\tline two",
        preserved_until=PRESERVED_UNTIL,
    )
    assert outcome == Outcome(S.PRESERVED, PRESERVED_UNTIL, {"reason": "Line one\n\tline two"})


def test_optional_reason_is_recorded_and_unused_fields_ignored() -> None:
    outcome = _apply(
        "mla", S.RECEIVED, REQUESTED, A.ACKNOWLEDGE, reason=" noted ", ground="x", until=TODAY
    )
    assert outcome.detail == {"reason": "noted"}


# --- refused transitions ---------------------------------------------------------------

NOT_ALLOWED: list[tuple[str, Status, Side, Action, str]] = [
    # wrong side
    ("mla", S.DRAFT, REQUESTED, A.SEND, "requested side cannot send"),
    ("mla", S.RECEIVED, REQUESTING, A.ACKNOWLEDGE, "requesting side cannot acknowledge"),
    ("mla", S.RECEIVED, REQUESTING, A.REFUSE, "requesting side cannot refuse"),
    ("mla", S.RECEIVED, REQUESTED, A.WITHDRAW, "requested side cannot withdraw"),
    ("mla", S.RECEIVED, REQUESTING, A.CONSULT, "requesting side cannot consult"),
    ("preservation", S.PRESERVED, REQUESTING, A.LAPSE, "requesting side cannot lapse"),
    # wrong status
    ("mla", S.SENT, REQUESTING, A.SEND, "that is sent; it must be draft"),
    ("mla", S.RECEIVED, REQUESTED, A.EXECUTE, "must be acknowledged or in_execution"),
    ("mla", S.RECEIVED, REQUESTED, A.POSTPONE, "cannot postpone a request that is received"),
    ("mla", S.IN_EXECUTION, REQUESTED, A.ACKNOWLEDGE, "it must be received"),
    ("mla", S.DRAFT, REQUESTING, A.WITHDRAW, "cannot withdraw a request that is draft"),
    ("mla", S.DRAFT, REQUESTING, A.INQUIRE, "cannot inquire a request that is draft"),
    ("mla", S.SENT, REQUESTED, A.REFUSE, "cannot refuse a request that is sent"),
    ("preservation", S.PRESERVED, REQUESTED, A.PRESERVE, "must be received or acknowledged"),
    ("preservation", S.RECEIVED, REQUESTED, A.EXTEND, "must be preserved"),
    # final status
    ("mla", S.EXECUTED, REQUESTING, A.WITHDRAW, "already executed"),
    ("mla", S.REFUSED, REQUESTED, A.INQUIRE, "already refused"),
    ("mla", S.WITHDRAWN, REQUESTED, A.REPLY, "already withdrawn"),
    ("preservation", S.RELEASED, REQUESTED, A.EXTEND, "already released"),
    ("preservation", S.LAPSED, REQUESTED, A.RELEASE, "already lapsed"),
    ("mla", S.PARTIALLY_EXECUTED, REQUESTED, A.EXECUTE, "already partially_executed"),
    # wrong instrument
    ("mla", S.RECEIVED, REQUESTED, A.PRESERVE, "only to preservation requests, not to mla"),
    ("mla-stored-data", S.IN_EXECUTION, REQUESTED, A.EXTEND, "not to mla-stored-data"),
    ("mla", S.IN_EXECUTION, REQUESTED, A.RELEASE, "only to preservation requests"),
    ("traffic-disclosure", S.ACKNOWLEDGED, REQUESTED, A.POSTPONE, "no postponement grounds"),
    ("extradition", S.ACKNOWLEDGED, REQUESTED, A.POSTPONE, "no postponement grounds"),
    ("police-information", S.RECEIVED, REQUESTED, A.REFUSE, "no refusal grounds"),
    ("police-information", S.RECEIVED, REQUESTED, A.CONSULT, "no refusal grounds"),
    ("preservation", S.ACKNOWLEDGED, REQUESTED, A.START, "carried out by preserving"),
    ("preservation", S.ACKNOWLEDGED, REQUESTED, A.EXECUTE, "carried out by preserving"),
]


@pytest.mark.parametrize(("kind", "status", "side", "action", "message"), NOT_ALLOWED)
def test_not_allowed(kind: str, status: Status, side: Side, action: Action, message: str) -> None:
    state = CaseState(kind=kind, status=status, preserved_until=PRESERVED_UNTIL)
    request = ActionRequest(action=action, reason="r", ground="essential-interests", until=TODAY)
    with raises_check(LifecycleError, "action", match=message) as info:
        apply_action(state, side, request, today=TODAY)
    assert info.value.action is action
    assert action not in user_actions(state, side, today=TODAY)


def test_errors_form_one_hierarchy_under_the_cases_base() -> None:
    assert issubclass(LifecycleError, CasesError)


def test_refuse_without_ground_lists_the_instruments_grounds() -> None:
    grounds = _grounds("mla")
    with raises_check(LifecycleError, "ground") as info:
        _apply("mla", S.RECEIVED, REQUESTED, A.REFUSE, reason="no")
    assert str(info.value) == f"refuse needs a ground: one of {', '.join(grounds)}"
    assert info.value.allowed == grounds


def test_refuse_with_a_ground_of_another_instrument() -> None:
    assert "extradition-discrimination" not in _grounds("mla")
    with raises_check(LifecycleError, "ground", match="not 'extradition-discrimination'"):
        _apply(
            "mla", S.RECEIVED, REQUESTED, A.REFUSE, reason="no", ground="extradition-discrimination"
        )
    # and a ground of the MLA list that preservation does not have
    assert "no-dual-criminality" not in _grounds("preservation")
    with raises_check(LifecycleError, "ground"):
        _apply(
            "preservation",
            S.RECEIVED,
            REQUESTED,
            A.REFUSE,
            reason="no",
            ground="no-dual-criminality",
        )


@pytest.mark.parametrize("kind", [k for k in KINDS if _grounds(k)])
def test_every_listed_refusal_ground_is_accepted(kind: str) -> None:
    for ground in _grounds(kind):
        outcome = _apply(kind, S.RECEIVED, REQUESTED, A.REFUSE, reason="no", ground=ground)
        assert outcome.detail["ground"] == ground


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (A.REFUSE, S.RECEIVED),
        (A.EXECUTE_PARTIALLY, S.IN_EXECUTION),
        (A.POSTPONE, S.IN_EXECUTION),
        (A.WITHDRAW, S.SENT),
        (A.INQUIRE, S.RECEIVED),
        (A.REPLY, S.RECEIVED),
        (A.CONSULT, S.RECEIVED),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "  \n\t "])
def test_reason_required(action: Action, status: Status, reason: str | None) -> None:
    side = REQUESTING if action is A.WITHDRAW else REQUESTED
    with raises_check(LifecycleError, "reason-required", match=f"^{action} needs a reason"):
        _apply("mla", status, side, action, reason=reason, ground="discrimination")


def test_release_needs_a_reason() -> None:
    with raises_check(LifecycleError, "reason-required"):
        _apply("preservation", S.PRESERVED, REQUESTED, A.RELEASE, preserved_until=PRESERVED_UNTIL)


def test_reason_length_limit() -> None:
    ok = "x" * MAX_REASON_LENGTH
    assert _apply("mla", S.RECEIVED, REQUESTING, A.INQUIRE, reason=f" {ok} ").detail["reason"] == ok
    with raises_check(LifecycleError, "reason", match="4001 characters long; the limit is 4000"):
        _apply("mla", S.RECEIVED, REQUESTING, A.INQUIRE, reason=ok + "y")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
def test_control_characters_refused(char: str) -> None:
    with raises_check(LifecycleError, "reason", match=f"U\\+{ord(char):04X}"):
        _apply("mla", S.RECEIVED, REQUESTING, A.INQUIRE, reason=f"why{char}not")


def test_line_breaks_and_tabs_allowed_and_crlf_normalised() -> None:
    outcome = _apply("mla", S.RECEIVED, REQUESTING, A.INQUIRE, reason="a\r\nb\rc\td")
    assert outcome.detail["reason"] == "a\nb\nc\td"


# --- preservation ----------------------------------------------------------------------


def test_minimum_days_come_from_the_data() -> None:
    rule = next(
        r
        for r in get_convention().instrument("preservation").time_rules
        if r.id == "preservation-minimum-period"
    )
    assert minimum_preservation_days("preservation") == rule.days == 60


@pytest.mark.parametrize("kind", KINDS)
def test_preservable_iff_the_instrument_has_the_time_rule(kind: str) -> None:
    rule_ids = {r.id for r in get_convention().instrument(kind).time_rules}
    assert is_preservable(kind) is ("preservation-minimum-period" in rule_ids)
    assert (minimum_preservation_days(kind) is None) is not is_preservable(kind)


def test_only_preservation_is_preservable_in_the_bundled_data() -> None:
    assert [k for k in KINDS if is_preservable(k)] == ["preservation"]


def test_preserve_for_59_days_refused_60_accepted() -> None:
    with raises_check(LifecycleError, "until") as info:
        _apply("preservation", S.RECEIVED, REQUESTED, A.PRESERVE, until=TODAY + timedelta(days=59))
    assert info.value.earliest == date(2027, 1, 28)
    assert "2027-01-28 or later" in str(info.value)
    assert "at least 60 days" in str(info.value)
    outcome = _apply("preservation", S.RECEIVED, REQUESTED, A.PRESERVE, until=date(2027, 1, 28))
    assert outcome.preserved_until == date(2027, 1, 28)


def test_preserve_uses_the_data_minimum() -> None:
    days = minimum_preservation_days("preservation")
    assert days is not None
    earliest = TODAY + timedelta(days=days)
    _apply("preservation", S.ACKNOWLEDGED, REQUESTED, A.PRESERVE, until=earliest)
    with raises_check(LifecycleError, "until"):
        _apply(
            "preservation",
            S.ACKNOWLEDGED,
            REQUESTED,
            A.PRESERVE,
            until=earliest - timedelta(days=1),
        )


def test_preserve_without_until() -> None:
    with raises_check(
        LifecycleError, "until", match="preserve needs an end date on or after 2027-01-28"
    ):
        _apply("preservation", S.RECEIVED, REQUESTED, A.PRESERVE)


def test_extend_must_be_later_than_the_current_end() -> None:
    for until in (PRESERVED_UNTIL, PRESERVED_UNTIL - timedelta(days=1)):
        with raises_check(
            LifecycleError, "until", match="later than the current end 2026-12-29"
        ) as info:
            _apply(
                "preservation",
                S.PRESERVED,
                REQUESTED,
                A.EXTEND,
                until=until,
                preserved_until=PRESERVED_UNTIL,
            )
        assert info.value.earliest == date(2026, 12, 30)
    with raises_check(LifecycleError, "until", match="extend needs an end date"):
        _apply("preservation", S.PRESERVED, REQUESTED, A.EXTEND, preserved_until=PRESERVED_UNTIL)


def test_extend_of_an_ended_preservation_cannot_end_in_the_past() -> None:
    ended = TODAY - timedelta(days=10)
    with raises_check(LifecycleError, "until", match="and not in the past, so 2026-11-29 or later"):
        _apply(
            "preservation",
            S.PRESERVED,
            REQUESTED,
            A.EXTEND,
            until=TODAY - timedelta(days=1),
            preserved_until=ended,
        )
    outcome = _apply(
        "preservation", S.PRESERVED, REQUESTED, A.EXTEND, until=TODAY, preserved_until=ended
    )
    assert outcome.preserved_until == TODAY


def test_extend_while_followup_pending_is_allowed() -> None:
    outcome = _apply(
        "preservation",
        S.PRESERVED,
        REQUESTED,
        A.EXTEND,
        until=date(2027, 6, 1),
        preserved_until=PRESERVED_UNTIL,
        followup_pending=True,
    )
    assert outcome.preserved_until == date(2027, 6, 1)


def test_lapse_only_after_the_last_preserved_day() -> None:
    with raises_check(LifecycleError, "action", match="before the preservation ends on 2026-12-29"):
        _apply(
            "preservation",
            S.PRESERVED,
            REQUESTED,
            A.LAPSE,
            preserved_until=PRESERVED_UNTIL,
            today=PRESERVED_UNTIL,
        )


def test_lapse_refused_while_followup_pending() -> None:
    with raises_check(LifecycleError, "action", match="follow-up request is pending"):
        _apply(
            "preservation",
            S.PRESERVED,
            REQUESTED,
            A.LAPSE,
            preserved_until=PRESERVED_UNTIL,
            followup_pending=True,
            today=PRESERVED_UNTIL + timedelta(days=365),
        )


@pytest.mark.parametrize("action", [A.RELEASE, A.REFUSE, A.CONSULT])
def test_preservation_stays_while_followup_pending(action: Action) -> None:
    state = CaseState(
        "preservation", S.PRESERVED, preserved_until=PRESERVED_UNTIL, followup_pending=True
    )
    request = ActionRequest(action, reason="r", ground="essential-interests")
    with raises_check(LifecycleError, "action", match="follow-up request is pending"):
        apply_action(state, REQUESTED, request, today=TODAY)
    assert action not in user_actions(state, REQUESTED, today=TODAY)


def test_no_refusal_of_a_preservation_after_disclosure() -> None:
    with raises_check(LifecycleError, "action", match="once data have been disclosed"):
        _apply(
            "preservation",
            S.PRESERVED,
            REQUESTED,
            A.REFUSE,
            reason="r",
            ground="essential-interests",
            preserved_until=PRESERVED_UNTIL,
            disclosed=True,
        )


# --- user_actions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "side", "expected"),
    [
        ("mla", S.DRAFT, REQUESTING, []),
        ("mla", S.DRAFT, REQUESTED, []),
        ("mla", S.SENT, REQUESTING, [A.WITHDRAW, A.INQUIRE, A.REPLY]),
        ("mla", S.RECEIVED, REQUESTING, [A.WITHDRAW, A.INQUIRE, A.REPLY]),
        (
            "mla",
            S.RECEIVED,
            REQUESTED,
            [A.ACKNOWLEDGE, A.REFUSE, A.INQUIRE, A.REPLY, A.CONSULT],
        ),
        (
            "mla",
            S.ACKNOWLEDGED,
            REQUESTED,
            [
                A.START,
                A.EXECUTE,
                A.EXECUTE_PARTIALLY,
                A.REFUSE,
                A.POSTPONE,
                A.INQUIRE,
                A.REPLY,
                A.CONSULT,
            ],
        ),
        (
            "mla",
            S.IN_EXECUTION,
            REQUESTED,
            [A.EXECUTE, A.EXECUTE_PARTIALLY, A.REFUSE, A.POSTPONE, A.INQUIRE, A.REPLY, A.CONSULT],
        ),
        ("mla", S.POSTPONED, REQUESTED, [A.START, A.REFUSE, A.INQUIRE, A.REPLY, A.CONSULT]),
        (
            "traffic-disclosure",
            S.ACKNOWLEDGED,
            REQUESTED,
            [A.START, A.EXECUTE, A.EXECUTE_PARTIALLY, A.REFUSE, A.INQUIRE, A.REPLY, A.CONSULT],
        ),
        (
            "police-information",
            S.ACKNOWLEDGED,
            REQUESTED,
            [A.START, A.EXECUTE, A.EXECUTE_PARTIALLY, A.INQUIRE, A.REPLY],
        ),
        (
            "preservation",
            S.RECEIVED,
            REQUESTED,
            [A.ACKNOWLEDGE, A.REFUSE, A.PRESERVE, A.INQUIRE, A.REPLY, A.CONSULT],
        ),
        (
            "preservation",
            S.ACKNOWLEDGED,
            REQUESTED,
            [A.REFUSE, A.PRESERVE, A.INQUIRE, A.REPLY, A.CONSULT],
        ),
        (
            "preservation",
            S.PRESERVED,
            REQUESTED,
            [A.REFUSE, A.EXTEND, A.RELEASE, A.INQUIRE, A.REPLY, A.CONSULT],
        ),
        ("preservation", S.PRESERVED, REQUESTING, [A.WITHDRAW, A.INQUIRE, A.REPLY]),
        ("preservation", S.LAPSED, REQUESTED, []),
        ("mla", S.EXECUTED, REQUESTING, []),
    ],
)
def test_user_actions(kind: str, status: Status, side: Side, expected: list[Action]) -> None:
    state = CaseState(kind=kind, status=status, preserved_until=PRESERVED_UNTIL)
    assert user_actions(state, side, today=TODAY) == expected


def test_user_actions_with_followup_pending() -> None:
    state = CaseState(
        "preservation", S.PRESERVED, preserved_until=PRESERVED_UNTIL, followup_pending=True
    )
    assert user_actions(state, REQUESTED, today=TODAY) == [A.EXTEND, A.INQUIRE, A.REPLY]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("side", list(Side))
def test_user_actions_never_offer_system_actions(status: Status, side: Side) -> None:
    for kind in ("mla", "preservation"):
        state = CaseState(kind=kind, status=status, preserved_until=date(2000, 1, 1))
        offered = user_actions(state, side, today=TODAY)
        assert not {A.SEND, A.RECEIVE, A.LAPSE} & set(offered)
        assert offered == sorted(offered, key=list(Action).index)
        if is_final(status):
            assert offered == []


def test_final_statuses() -> None:
    assert {s for s in Status if is_final(s)} == {
        S.EXECUTED,
        S.PARTIALLY_EXECUTED,
        S.REFUSED,
        S.WITHDRAWN,
        S.LAPSED,
        S.RELEASED,
        S.DISCARDED,
    }


def test_unknown_kind_raises_the_convention_error() -> None:
    state = CaseState(kind="telepathy", status=S.RECEIVED)
    with pytest.raises(UnknownInstrumentError, match="telepathy"):
        user_actions(state, REQUESTED, today=TODAY)
    with pytest.raises(UnknownInstrumentError):
        apply_action(state, REQUESTED, ActionRequest(A.ACKNOWLEDGE), today=TODAY)
    with pytest.raises(UnknownInstrumentError):
        is_preservable("telepathy")
    with pytest.raises(UnknownInstrumentError):
        minimum_preservation_days("telepathy")


def test_a_whole_preservation_life() -> None:
    state = CaseState("preservation", S.DRAFT)
    steps: list[tuple[Side, ActionRequest]] = [
        (REQUESTING, ActionRequest(A.SEND)),
        (REQUESTED, ActionRequest(A.RECEIVE)),
        (REQUESTED, ActionRequest(A.ACKNOWLEDGE)),
        (REQUESTED, ActionRequest(A.PRESERVE, until=MIN_UNTIL)),
        (REQUESTED, ActionRequest(A.EXTEND, until=MIN_UNTIL + timedelta(days=90))),
    ]
    for side, request in steps:
        outcome = apply_action(state, side, request, today=TODAY)
        state = CaseState(state.kind, outcome.status, outcome.preserved_until)
    assert (state.status, state.preserved_until) == (S.PRESERVED, date(2027, 4, 28))
    lapsed = apply_action(state, REQUESTED, ActionRequest(A.LAPSE), today=date(2027, 4, 29))
    assert lapsed.status is S.LAPSED

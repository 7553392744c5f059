"""The life of a cooperation request: which actions are possible now and what they do.

Both the requesting and the requested node keep a copy of every request with the same
status, so this module is pure: the same inputs give the same answer on both nodes, and
the exchange, the pages and the CLI all ask it instead of deciding for themselves.

What depends on the Convention comes from its data, never from a list of kinds here: an
instrument can be preserved iff it has the ``preservation-minimum-period`` time rule (which
also gives the minimum number of days), and refusal and postponement grounds are the ids
the instrument lists.

An unknown request kind raises the convention's ``UnknownInstrumentError`` everywhere.
:class:`Status` and :class:`Side` are defined in :mod:`hanoi.cases.status` (which needs no
Convention) and exported here too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from hanoi.cases.errors import CasesError
from hanoi.cases.status import Side, Status
from hanoi.convention import Ground, Instrument, TimeRule, get_convention
from hanoi.errors import InvalidInput

__all__ = [
    "APPROVAL_ACTIONS",
    "MAX_REASON_LENGTH",
    "PRESERVATION_RULE",
    "SYSTEM_ACTIONS",
    "Action",
    "ActionRequest",
    "CaseState",
    "LifecycleError",
    "Outcome",
    "Side",
    "Status",
    "apply_action",
    "earliest_until",
    "is_final",
    "is_preservable",
    "minimum_preservation_days",
    "preservation_rule",
    "user_actions",
]

PRESERVATION_RULE = "preservation-minimum-period"
"""The time rule whose presence makes an instrument preservable."""

MAX_REASON_LENGTH = 4000


class Action(StrEnum):
    # System actions: done by the exchange, never offered to users.
    SEND = "send"
    RECEIVE = "receive"
    LAPSE = "lapse"
    # Approval actions: inside the requesting State only, before the request leaves it.
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    DISCARD = "discard"
    # User actions.
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    EXECUTE = "execute"
    EXECUTE_PARTIALLY = "execute-partially"
    REFUSE = "refuse"
    POSTPONE = "postpone"
    PRESERVE = "preserve"
    EXTEND = "extend"
    RELEASE = "release"
    WITHDRAW = "withdraw"
    INQUIRE = "inquire"
    REPLY = "reply"
    CONSULT = "consult"


LifecycleCheck = Literal["action", "reason-required", "reason", "ground", "until"]


class LifecycleError(CasesError, InvalidInput):
    """An action cannot be applied to a request as asked; ``check`` says why:

    - ``"action"``: wrong side, wrong status, wrong instrument, or the request is already
      final; ``action`` is the action refused;
    - ``"reason-required"``: the action must say why (or, for inquire/reply, what);
    - ``"reason"``: the reason is too long or holds control characters;
    - ``"ground"``: the ground is missing or not one the instrument allows; ``allowed``
      lists them;
    - ``"until"``: the preservation date is missing or too early; ``earliest`` is the first
      valid one.
    """

    title = "Action not possible"

    def __init__(
        self,
        message: str,
        *,
        check: LifecycleCheck,
        action: Action | None = None,
        allowed: tuple[str, ...] = (),
        earliest: date | None = None,
    ) -> None:
        super().__init__(message)
        self.check = check
        self.action = action
        self.allowed = allowed
        self.earliest = earliest


@dataclass(frozen=True)
class ActionRequest:
    """What a user (or the exchange) asks for. Fields an action does not use are ignored."""

    action: Action
    reason: str | None = None
    ground: str | None = None
    until: date | None = None


@dataclass(frozen=True)
class CaseState:
    """The part of a request the lifecycle needs.

    ``disclosed`` records that data of a preserved request were already disclosed (e.g.
    traffic data under Art. 43); from then on the preservation can no longer be refused.
    """

    kind: str
    status: Status
    preserved_until: date | None = None
    followup_pending: bool = False
    disclosed: bool = False


@dataclass(frozen=True)
class Outcome:
    """The result of an action; ``detail`` is what the timeline records (applicable keys only)."""

    status: Status
    preserved_until: date | None
    detail: dict[str, str]


@dataclass(frozen=True)
class _Transition:
    sides: frozenset[Side]
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change
    needs_reason: bool = False


_FINAL = frozenset(
    {
        Status.EXECUTED,
        Status.PARTIALLY_EXECUTED,
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.LAPSED,
        Status.RELEASED,
        Status.DISCARDED,
    }
)
_BEFORE_SENDING = frozenset({Status.DRAFT, Status.AWAITING_APPROVAL, Status.RETURNED})
_OPEN = frozenset(Status) - _FINAL - _BEFORE_SENDING
_REFUSABLE = frozenset(
    {
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        Status.IN_EXECUTION,
        Status.POSTPONED,
        Status.PRESERVED,
    }
)
_WORKING = frozenset({Status.ACKNOWLEDGED, Status.IN_EXECUTION})
_BOTH = frozenset(Side)
_REQUESTING = frozenset({Side.REQUESTING})
_REQUESTED = frozenset({Side.REQUESTED})

_TRANSITIONS: dict[Action, _Transition] = {
    Action.SEND: _Transition(
        _REQUESTING, frozenset({Status.DRAFT, Status.AWAITING_APPROVAL}), Status.SENT
    ),
    Action.SUBMIT: _Transition(
        _REQUESTING, frozenset({Status.DRAFT, Status.RETURNED}), Status.AWAITING_APPROVAL
    ),
    Action.APPROVE: _Transition(_REQUESTING, frozenset({Status.AWAITING_APPROVAL}), None),
    Action.RETURN: _Transition(
        _REQUESTING, frozenset({Status.AWAITING_APPROVAL}), Status.RETURNED, needs_reason=True
    ),
    Action.DISCARD: _Transition(
        _REQUESTING, frozenset({Status.AWAITING_APPROVAL, Status.RETURNED}), Status.DISCARDED
    ),
    Action.RECEIVE: _Transition(_BOTH, frozenset({Status.SENT}), Status.RECEIVED),
    Action.LAPSE: _Transition(_REQUESTED, frozenset({Status.PRESERVED}), Status.LAPSED),
    Action.ACKNOWLEDGE: _Transition(_REQUESTED, frozenset({Status.RECEIVED}), Status.ACKNOWLEDGED),
    Action.START: _Transition(
        _REQUESTED, frozenset({Status.ACKNOWLEDGED, Status.POSTPONED}), Status.IN_EXECUTION
    ),
    Action.EXECUTE: _Transition(_REQUESTED, _WORKING, Status.EXECUTED),
    Action.EXECUTE_PARTIALLY: _Transition(
        _REQUESTED, _WORKING, Status.PARTIALLY_EXECUTED, needs_reason=True
    ),
    Action.REFUSE: _Transition(_REQUESTED, _REFUSABLE, Status.REFUSED, needs_reason=True),
    Action.POSTPONE: _Transition(_REQUESTED, _WORKING, Status.POSTPONED, needs_reason=True),
    Action.PRESERVE: _Transition(
        _REQUESTED, frozenset({Status.RECEIVED, Status.ACKNOWLEDGED}), Status.PRESERVED
    ),
    Action.EXTEND: _Transition(_REQUESTED, frozenset({Status.PRESERVED}), Status.PRESERVED),
    Action.RELEASE: _Transition(
        _REQUESTED, frozenset({Status.PRESERVED}), Status.RELEASED, needs_reason=True
    ),
    Action.WITHDRAW: _Transition(_REQUESTING, _OPEN, Status.WITHDRAWN, needs_reason=True),
    Action.INQUIRE: _Transition(_BOTH, _OPEN, None, needs_reason=True),
    Action.REPLY: _Transition(_BOTH, _OPEN, None, needs_reason=True),
    Action.CONSULT: _Transition(_REQUESTED, _REFUSABLE, None, needs_reason=True),
}

SYSTEM_ACTIONS = frozenset({Action.SEND, Action.RECEIVE, Action.LAPSE})
"""Done by the exchange on its own; never offered to a user."""
APPROVAL_ACTIONS = frozenset({Action.SUBMIT, Action.APPROVE, Action.RETURN, Action.DISCARD})
"""Done through :mod:`hanoi.cases.approval` inside the requesting State; the other State
never hears of them, so they are not among the actions on a request."""
_PRESERVATION_ONLY = frozenset({Action.PRESERVE, Action.EXTEND, Action.RELEASE})
# A preservable instrument is carried out by preserving, so it has no separate execution.
_NOT_FOR_PRESERVATION = frozenset({Action.START, Action.EXECUTE, Action.EXECUTE_PARTIALLY})


def is_final(status: Status) -> bool:
    """Whether no action can change the request any more."""
    return status in _FINAL


def preservation_rule(kind: str) -> TimeRule | None:
    """The instrument's ``preservation-minimum-period`` time rule, if it has one."""
    return _preservation_rule(get_convention().instrument(kind))


def is_preservable(kind: str) -> bool:
    """Whether requests of this kind can be preserved (decided by the Convention data)."""
    return preservation_rule(kind) is not None


def minimum_preservation_days(kind: str) -> int | None:
    """The minimum preservation period in whole days (rounded up), or None if the kind is
    not preservable."""
    rule = preservation_rule(kind)
    if rule is None:
        return None
    hours = (rule.days or 0) * 24 + (rule.hours or 0)
    return -(-hours // 24)


def _preservation_rule(instrument: Instrument) -> TimeRule | None:
    for rule in instrument.time_rules:
        if rule.id == PRESERVATION_RULE:
            return rule
    return None


def user_actions(state: CaseState, side: Side, *, today: date) -> list[Action]:
    """The user actions allowed now, in the order of ``Action`` (never system actions)."""
    instrument = get_convention().instrument(state.kind)
    return [
        action
        for action in Action
        if action not in SYSTEM_ACTIONS
        and action not in APPROVAL_ACTIONS
        and _refusal(state, side, action, instrument, today) is None
    ]


def apply_action(state: CaseState, side: Side, request: ActionRequest, *, today: date) -> Outcome:
    """Check ``request`` against the state and return the new status and what to record.

    Raises a :class:`LifecycleError` naming the first problem found (its ``check``):
    whether the action is allowed at all, then the reason, the ground and the date.
    """
    action = Action(request.action)
    instrument = get_convention().instrument(state.kind)
    problem = _refusal(state, side, action, instrument, today)
    if problem is not None:
        raise LifecycleError(problem, check="action", action=action)
    transition = _TRANSITIONS[action]
    detail: dict[str, str] = {}
    reason = _clean_reason(request.reason)
    if reason is not None:
        detail["reason"] = reason
    elif transition.needs_reason:
        raise LifecycleError(f"{action} needs a reason; none was given", check="reason-required")

    if action is Action.REFUSE:
        ground = _ground(action, request.ground, instrument.refusal_grounds, required=True)
        _record_ground(detail, ground)
    elif action is Action.POSTPONE:
        ground = _ground(action, request.ground, instrument.postponement_grounds)
        _record_ground(detail, ground)

    preserved_until = state.preserved_until
    if action in (Action.PRESERVE, Action.EXTEND):
        preserved_until = _until(state, action, request.until, today)
        detail["until"] = preserved_until.isoformat()

    target = state.status if transition.target is None else transition.target
    return Outcome(status=target, preserved_until=preserved_until, detail=detail)


def _refusal(
    state: CaseState, side: Side, action: Action, instrument: Instrument, today: date
) -> str | None:
    """Why ``action`` is not allowed now, as one sentence; None if it is."""
    transition = _TRANSITIONS[action]
    status = Status(state.status)
    if is_final(status):
        return f"cannot {action} a request that is already {status}"
    if side not in transition.sides:
        return f"the {side} side cannot {action} a request"
    preservable = _preservation_rule(instrument) is not None
    if action in _PRESERVATION_ONLY and not preservable:
        return f"{action} applies only to preservation requests, not to {instrument.kind}"
    if action in _NOT_FOR_PRESERVATION and preservable:
        return f"a {instrument.kind} request is carried out by preserving, not by {action}"
    if status not in transition.sources:
        allowed = " or ".join(s for s in Status if s in transition.sources)
        return f"cannot {action} a request that is {status}; it must be {allowed}"
    if action is Action.POSTPONE and not instrument.postponement_grounds:
        return f"a {instrument.kind} request cannot be postponed: it has no postponement grounds"
    if action in (Action.REFUSE, Action.CONSULT):
        if not instrument.refusal_grounds:
            return f"a {instrument.kind} request cannot be refused: it has no refusal grounds"
        if status is Status.PRESERVED and state.disclosed:
            return f"cannot {action} a preservation once data have been disclosed"
    if (
        action in (Action.REFUSE, Action.CONSULT, Action.RELEASE, Action.LAPSE)
        and status is Status.PRESERVED
        and state.followup_pending
    ):
        return f"cannot {action} the preservation while the follow-up request is pending"
    if action is Action.LAPSE:
        if state.preserved_until is None:
            return "cannot lapse a preservation that has no end date"
        if today <= state.preserved_until:
            return f"cannot lapse before the preservation ends on {state.preserved_until}"
    return None


def _clean_reason(reason: str | None) -> str | None:
    """Strip the text and normalise line ends (browsers send CRLF); refuse what a letter or
    a log line could not show safely."""
    if reason is None:
        return None
    text = reason.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    if len(text) > MAX_REASON_LENGTH:
        raise LifecycleError(
            f"the reason is {len(text)} characters long; the limit is {MAX_REASON_LENGTH}",
            check="reason",
        )
    for char in text:
        if char not in "\n\t" and unicodedata.category(char) in ("Cc", "Cs"):
            raise LifecycleError(
                f"the reason contains the control character U+{ord(char):04X}; "
                "only line breaks and tabs are allowed",
                check="reason",
            )
    return text


def _ground(
    action: Action, ground_id: str | None, allowed: tuple[str, ...], *, required: bool = False
) -> Ground | None:
    """Resolve a ground id the instrument allows for ``action``."""
    ground_id = (ground_id or "").strip() or None
    if ground_id is None and not required:
        return None
    if ground_id not in allowed:
        choices = ", ".join(allowed)
        given = "" if ground_id is None else f", not {ground_id!r}"
        raise LifecycleError(
            f"{action} needs a ground: one of {choices}{given}", check="ground", allowed=allowed
        )
    convention = get_convention()
    if action is Action.REFUSE:
        return convention.refusal_ground(ground_id)
    return convention.postponement_ground(ground_id)


def _record_ground(detail: dict[str, str], ground: Ground | None) -> None:
    if ground is not None:
        detail["ground"] = ground.id
        detail["ground_text"] = ground.text
        detail["article"] = str(ground.article)


def earliest_until(state: CaseState, action: Action, *, today: date) -> date:
    """The first end date ``preserve`` or ``extend`` accepts today: the minimum period from
    the convention data for preserve; the day after the current end (not in the past) for
    extend."""
    current = state.preserved_until
    if action is Action.PRESERVE or current is None:
        return today + timedelta(days=minimum_preservation_days(state.kind) or 0)
    return max(current + timedelta(days=1), today)


def _until(state: CaseState, action: Action, until: date | None, today: date) -> date:
    """The new end of preservation: at least the minimum period for preserve; later than
    the current end (and not in the past) for extend."""
    current = state.preserved_until
    earliest = earliest_until(state, action, today=today)
    if action is Action.PRESERVE or current is None:
        rule = f"at least {minimum_preservation_days(state.kind) or 0} days after {today}"
    else:
        rule = f"later than the current end {current} and not in the past"
    if until is None:
        raise LifecycleError(
            f"{action} needs an end date on or after {earliest}", check="until", earliest=earliest
        )
    if until < earliest:
        raise LifecycleError(
            f"{action} to {until} is too soon: the end date must be {rule}, so {earliest} or later",
            check="until",
            earliest=earliest,
        )
    return until

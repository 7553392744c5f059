"""Conditions on the use of what two States exchange, and authorisations to pass it on.

Either side may attach a condition to a request: confidentiality, speciality (use only for
the proceedings named), or personal-data protection (Art. 36). Conditions travel with the
request to the other node and are shown wherever the request's data is shown. Passing the
data to a third State needs the prior, recorded authorisation of the State it came from
(Art. 36): an ``onward-transfer`` entry naming that third State.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from hanoi.cases.errors import CasesError
from hanoi.errors import InvalidInput

ConditionKind = Literal["confidentiality", "speciality", "data-protection", "onward-transfer"]
CONDITION_KINDS: tuple[str, ...] = get_args(ConditionKind)

#: Where each kind of condition comes from (paragraphs not verified: see the digest).
CONDITION_ARTICLES: dict[str, str] = {
    "confidentiality": "Art. 40",
    "speciality": "Art. 40",
    "data-protection": "Art. 36",
    "onward-transfer": "Art. 36",
}
MAX_CONDITION_CHARS = 2000
MAX_CONDITIONS = 50
_STATE = re.compile(r"[A-Z]{2}")
_AUTHORITY = re.compile(r"[A-Z]{2}-[A-Z0-9-]{1,30}")
_KEYS = frozenset({"kind", "text", "state", "authority", "at", "to"})


ConditionCheck = Literal["condition", "onward-transfer"]


class ConditionError(CasesError, InvalidInput):
    """A condition that is malformed, or one too many (``check`` is ``"condition"``); or data
    that would go to a third State without the recorded authorisation of its source
    (``"onward-transfer"``)."""

    def __init__(self, message: str, *, check: ConditionCheck = "condition") -> None:
        super().__init__(message)
        self.check = check


@dataclass(frozen=True)
class Condition:
    kind: str
    text: str
    state: str
    """The State that set the condition (or gave the authorisation)."""
    authority: str
    at: str
    to: str | None = None
    """For ``onward-transfer``: the third State the data may be passed to."""

    @property
    def article(self) -> str:
        return CONDITION_ARTICLES[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "state": self.state,
            "authority": self.authority,
            "at": self.at,
            "to": self.to,
        }


def new_condition(
    kind: str, text: str, *, state: str, authority: str, at: str, to: str | None = None
) -> Condition:
    """A checked condition; raises :class:`ConditionError` naming what is wrong."""
    if kind not in CONDITION_KINDS:
        raise ConditionError(f"unknown condition {kind!r}; one of {', '.join(CONDITION_KINDS)}")
    cleaned = _clean(text)
    if not _STATE.fullmatch(state) or not _AUTHORITY.fullmatch(authority):
        raise ConditionError("a condition names the State and authority that set it")
    if kind == "onward-transfer":
        if to is None or not _STATE.fullmatch(to):
            raise ConditionError("an onward-transfer authorisation names the third State (--to)")
        if to == state:
            raise ConditionError("an onward transfer goes to a third State, not back")
    elif to is not None:
        raise ConditionError(f"a {kind} condition names no third State")
    return Condition(kind, cleaned, state, authority, at, to)


def parse_conditions(value: object) -> list[Condition]:
    """Conditions as another node sent them: a list of exactly-shaped objects."""
    if not isinstance(value, list) or len(value) > MAX_CONDITIONS:
        raise ConditionError(f"conditions are a list of at most {MAX_CONDITIONS}")
    return [parse_condition(item) for item in value]


def parse_condition(item: object) -> Condition:
    if not isinstance(item, Mapping) or set(item) != _KEYS:
        raise ConditionError(f"a condition has exactly: {', '.join(sorted(_KEYS))}")
    fields = {key: item[key] for key in _KEYS}
    if not all(isinstance(fields[k], str) for k in ("kind", "text", "state", "authority", "at")):
        raise ConditionError("a condition's fields are text")
    if fields["to"] is not None and not isinstance(fields["to"], str):
        raise ConditionError("a condition's 'to' is a State code or null")
    return new_condition(**fields)


def dump_conditions(conditions: Iterable[Condition]) -> str:
    """The stored form of a request's conditions (what :func:`parse_conditions` reads)."""
    return json.dumps([c.to_json() for c in conditions], ensure_ascii=False)


def add_condition(existing: Iterable[Condition], condition: Condition) -> list[Condition]:
    conditions = list(existing)
    if len(conditions) >= MAX_CONDITIONS:
        raise ConditionError(f"a request carries at most {MAX_CONDITIONS} conditions")
    return [*conditions, condition]


def check_onward_transfer(conditions: Iterable[Condition], *, source: str, to: str) -> Condition:
    """The authorisation by ``source`` to pass the data on to ``to``, or
    :class:`ConditionError` (``check="onward-transfer"``)."""
    for condition in conditions:
        if condition.kind == "onward-transfer" and condition.state == source and condition.to == to:
            return condition
    raise ConditionError(
        f"{source} has not authorised passing these data to {to} (Art. 36): ask {source} "
        "first, and record its authorisation",
        check="onward-transfer",
    )


def _clean(text: str) -> str:
    if not isinstance(text, str):
        raise ConditionError("a condition is text")
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ConditionError("a condition needs its text")
    if len(text) > MAX_CONDITION_CHARS:
        raise ConditionError(f"a condition is at most {MAX_CONDITION_CHARS} characters")
    for char in text:
        if char not in "\n\t" and unicodedata.category(char) in ("Cc", "Cs"):
            raise ConditionError("a condition may not contain control characters")
    return text

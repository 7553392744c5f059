"""Where a State stands with the Convention on a day, as the depositary record says, and
where a directory entry says otherwise.

A State's own directory entry states a treaty status (``party``, ``signatory``, ``none``,
with the dates of its signature and instrument). The record the Secretariat publishes is
what a node believes: where the two disagree, the record wins and the node says so
(:func:`disagreements`, shown by ``hanoi directory show`` and the States pages).

``party`` here is what an entry means by it: the State has deposited an instrument of
ratification, acceptance, approval or accession that no denunciation has ended (whether
the Convention binds it yet is :func:`hanoi.treaty.entry_into_force.bound`'s question).
A State the record does not list has, on the record, done nothing: ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from hanoi.treaty.record import CONSENT, ActionKind, TreatyRecord, denunciation_effect

__all__ = ["Claimed", "Disagreement", "Standing", "disagreements", "standing"]

Status = Literal["party", "signatory", "none"]


class Claimed(Protocol):
    """What an entry claims of its State's treaty status (the ``treaty`` of a directory
    entry, :class:`hanoi.directory.entry.TreatyStatus`)."""

    @property
    def status(self) -> str: ...
    @property
    def signed_on(self) -> date | None: ...
    @property
    def instrument(self) -> str | None: ...
    @property
    def instrument_deposited_on(self) -> date | None: ...


@dataclass(frozen=True)
class Standing:
    """What the record says of State ``code`` on ``on``."""

    code: str
    on: date
    status: Status
    listed: bool
    signed_on: date | None = None
    instrument: str | None = None
    deposited_on: date | None = None


def standing(record: TreatyRecord, code: str, on: date) -> Standing:
    """Where ``code`` stands on the day ``on``, from the rows of ``record`` dated by then."""
    state = record.state(code)
    if state is None:
        return Standing(code, on, "none", False)
    signed: date | None = None
    instrument: str | None = None
    deposited: date | None = None
    for action in state.sorted_actions():
        if action.date > on:
            break
        if action.kind is ActionKind.SIGNATURE:
            signed = action.date
        elif action.kind in CONSENT:
            instrument, deposited = str(action.kind), action.date
        elif action.kind is ActionKind.DENUNCIATION and denunciation_effect(action.date) <= on:
            instrument, deposited = None, None
    status: Status = "party" if instrument else "signatory" if signed else "none"
    return Standing(state.code, on, status, True, signed, instrument, deposited)


@dataclass(frozen=True)
class Disagreement:
    """One thing a State's entry says about its treaty status that the record does not."""

    code: str
    field: str
    entry: str
    record: str

    @property
    def message(self) -> str:
        return (
            f"{self.code}: its directory entry says {self.field} {self.entry}, the treaty "
            f"record says {self.record}; the record wins"
        )

    def as_json(self) -> dict[str, str]:
        return {
            "state": self.code,
            "field": self.field,
            "entry": self.entry,
            "record": self.record,
            "message": self.message,
        }


def disagreements(
    code: str, claimed: Claimed, record: TreatyRecord, on: date
) -> list[Disagreement]:
    """What State ``code``'s entry (its ``treaty`` part, ``claimed``) says that the record
    does not, on the day ``on``: the status, and where both give one, the day of signature,
    the kind of instrument and the day it was deposited."""
    found = standing(record, code, on)
    out: list[Disagreement] = []

    def differ(field: str, entry: object, said: object) -> None:
        out.append(Disagreement(found.code, field, _text(entry), _text(said, found.listed)))

    if claimed.status != found.status:
        differ("status", claimed.status, found.status)
    if claimed.signed_on and found.signed_on and claimed.signed_on != found.signed_on:
        differ("signed_on", claimed.signed_on, found.signed_on)
    if claimed.instrument and found.instrument and claimed.instrument != found.instrument:
        differ("instrument", claimed.instrument, found.instrument)
    if (
        claimed.instrument_deposited_on
        and found.deposited_on
        and claimed.instrument_deposited_on != found.deposited_on
    ):
        differ("instrument_deposited_on", claimed.instrument_deposited_on, found.deposited_on)
    return out


def _text(value: object, listed: bool = True) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text if listed else f"{text} (the State is not in the record)"

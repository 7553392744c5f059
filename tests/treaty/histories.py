"""Constructed records for the treaty tests: States that sign and deposit on given days."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from hanoi.treaty.record import TreatyRecord, parse_record

HANOI = date(2025, 10, 25)
SOURCE = "C.N.196.2025.TREATIES-XVIII.16"

#: 60 ISO 3166 codes, for States that sign and deposit.
CODES = (  # noqa: SIM905  (a list of 60 codes is easier to read as one string)
    "AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CA "
    "CD CF CG CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC EE EG ER ES ET FI FJ FR "
    "GA GB"
).split()


def row(kind: str, day: date, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "date": day, "source": SOURCE, "confidence": "confirmed", **extra}


def state(
    code: str, *rows: dict[str, Any], name: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {"code": code, "name": name or f"State {code}", "actions": list(rows), **extra}


def ratifier(code: str, deposit: date, *more: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A State that signed at Hanoi and ratified on ``deposit``."""
    return state(code, row("signature", HANOI), row("ratification", deposit), *more, **extra)


def record(states: Iterable[dict[str, Any]], **extra: Any) -> TreatyRecord:
    return parse_record({"states": list(states), **extra})


def deposits(days: Sequence[date]) -> TreatyRecord:
    """One State per day in ``days`` (a State for each), each ratifying on its day."""
    return record(ratifier(code, day) for code, day in zip(CODES, days, strict=False))

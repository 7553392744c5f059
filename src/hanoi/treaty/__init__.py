"""The treaty's own life: the depositary record (:mod:`hanoi.treaty.record`), what it
means on a given day (:mod:`hanoi.treaty.entry_into_force`), and where a State stands and
where its directory entry says otherwise (:mod:`hanoi.treaty.standing`). See docs/treaty.md.

:data:`SHIPPED_RECORD` is the real record shipped with Hanoi, as far as sources allow;
:data:`DEMO_RECORD` the demo federation's fictional one. :func:`shipped_record` and
:func:`demo_record` read them once."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hanoi.treaty.record import TreatyRecord

#: The depositary record shipped with Hanoi (real States, each row with its source).
SHIPPED_RECORD = Path(__file__).with_name("data") / "record.yaml"
#: The demo federation's fictional record (XA, XB, XC and 38 fictional neighbours).
DEMO_RECORD = Path(__file__).parent.parent / "demo" / "data" / "treaty-record.yaml"


@functools.cache
def shipped_record() -> TreatyRecord:
    """The record shipped with Hanoi, read once."""
    from hanoi.treaty.record import load_record

    return load_record(SHIPPED_RECORD)


@functools.cache
def demo_record() -> TreatyRecord:
    """The demo federation's fictional record, read once."""
    from hanoi.treaty.record import load_record

    return load_record(DEMO_RECORD)


__all__ = ["DEMO_RECORD", "SHIPPED_RECORD", "demo_record", "shipped_record"]

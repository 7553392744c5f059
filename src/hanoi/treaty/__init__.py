"""The treaty's own life: the depositary record (:mod:`hanoi.treaty.record`) and what it
means on a given day (:mod:`hanoi.treaty.entry_into_force`). See docs/treaty.md.

:data:`SHIPPED_RECORD` is the real record shipped with Hanoi, as far as sources allow."""

from __future__ import annotations

from pathlib import Path

#: The depositary record shipped with Hanoi (real States, each row with its source).
SHIPPED_RECORD = Path(__file__).with_name("data") / "record.yaml"

__all__ = ["SHIPPED_RECORD"]

"""The officer's guide shows exactly the pictures its browser journey takes: none missing on
disk, none taken and left out, none left over from a step that no longer exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).parents[1]
GUIDE = REPO / "docs" / "officers-guide.md"
JOURNEY = REPO / "tests" / "browser" / "test_officer_journey.py"


def _steps_taken() -> set[str]:
    """The names the journey passes to step(): its screenshots."""
    names = set()
    for node in ast.walk(ast.parse(JOURNEY.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "step":
            name = node.args[1]
            assert isinstance(name, ast.Constant) and isinstance(name.value, str)
            names.add(name.value)
    return names


def test_the_guide_shows_every_picture_the_journey_takes_and_no_other() -> None:
    shown = set(re.findall(r"!\[[^\]]*\]\(guide/([^)]+)\.png\)", GUIDE.read_text("utf-8")))
    taken = _steps_taken()
    assert len(taken) >= 8
    assert shown == taken
    on_disk = {p.stem for p in (REPO / "docs" / "guide").glob("*.png")}
    assert on_disk == taken, "run `make guide` to take the pictures again"

"""The fictional demo directory: Arcadia (XA), Borealis (XB) and Cascadia (XC).

Read from ``data/states.yaml``. A node that never pinned a Secretariat's root (a demo or
development node) checks and addresses requests against it (see
:mod:`hanoi.directory.view`), and the demo federation names its States and their
authorities after it. A node that pinned a root never reads it: it knows only the States of
its verified copy of the signed directory.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from hanoi.directory.errors import DirectoryError
from hanoi.directory.states import StateDirectory, StateInfo
from hanoi.errors import SetupError

if TYPE_CHECKING:
    from hanoi.treaty.record import TreatyRecord

FIXTURE_FILE = Path(__file__).with_name("data") / "states.yaml"


class DirectoryFixtureError(DirectoryError, SetupError):
    """The fixture file is missing or malformed."""


class _FixtureFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fictional: Literal[True]
    states: tuple[StateInfo, ...]


@functools.cache
def load_fixture_directory() -> StateDirectory:
    """The demo directory (Arcadia, Borealis, Cascadia), loaded once, with the demo
    federation's fictional treaty record (:func:`hanoi.treaty.demo_record`)."""
    from hanoi.treaty import demo_record

    return load_directory_file(FIXTURE_FILE, treaty=demo_record())


def load_directory_file(path: Path, *, treaty: TreatyRecord | None = None) -> StateDirectory:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryFixtureError(f"{path.name}: cannot read: {exc}") from None
    try:
        parsed = _FixtureFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DirectoryFixtureError(f"{path.name}: {where}: {first['msg']}") from None
    seen: set[str] = set()
    for info in parsed.states:
        if info.code in seen:
            raise DirectoryFixtureError(f"duplicate State code {info.code!r}")
        seen.add(info.code)
    return StateDirectory(parsed.states, treaty=treaty)

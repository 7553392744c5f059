"""A fixed, fictional directory of States for development, tests and the demo.

The real directory is a signed TUF repository published by the Secretariat (built later).
Until then the checker and the demo need *some* answer to "which languages does Borealis
accept?", and this fixture gives it from ``data/states.yaml`` with the same small query API
the real client is expected to offer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hanoi.directory.errors import DirectoryError
from hanoi.errors import SetupError

TreatyStatus = Literal["party", "signatory", "none"]

FIXTURE_FILE = Path(__file__).with_name("data") / "states.yaml"


class DirectoryFixtureError(DirectoryError, SetupError):
    """The fixture file is missing or malformed."""


class StateInfo(BaseModel):
    """What the platform needs to know about one State to route and check a request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str = Field(min_length=1)
    status: TreatyStatus
    languages: tuple[str, ...] = Field(min_length=1)
    central_authority: str = Field(min_length=1)
    point_of_contact_24_7: str = Field(min_length=1)
    time_zone: str = Field(min_length=1)
    fictional: bool = True


class _FixtureFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fictional: Literal[True]
    states: tuple[StateInfo, ...]


class StateDirectory:
    """Read-only lookups over a set of States, keyed by ISO 3166 alpha-2 code."""

    def __init__(self, states: Iterable[StateInfo]) -> None:
        by_code: dict[str, StateInfo] = {}
        for info in states:
            if info.code in by_code:
                raise DirectoryFixtureError(f"duplicate State code {info.code!r}")
            by_code[info.code] = info
        self._by_code: Mapping[str, StateInfo] = MappingProxyType(by_code)

    @property
    def states(self) -> tuple[StateInfo, ...]:
        return tuple(self._by_code.values())

    def state(self, code: str) -> StateInfo | None:
        return self._by_code.get(code)

    def acceptable_languages(self, code: str) -> tuple[str, ...]:
        """Languages the State accepts requests in; empty if the State is unknown."""
        info = self._by_code.get(code)
        return info.languages if info is not None else ()


@functools.cache
def load_fixture_directory() -> StateDirectory:
    """The demo directory (Arcadia, Borealis, Cascadia), loaded once."""
    return load_directory_file(FIXTURE_FILE)


def load_directory_file(path: Path) -> StateDirectory:
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
    return StateDirectory(parsed.states)

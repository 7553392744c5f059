"""The States as the request checker and the letters see them: name, treaty status, the
languages a request may be written in, whom a letter is addressed to, and a time zone.

:class:`StateInfo` is that summary for one State and :class:`StateDirectory` a read-only set
of them keyed by ISO 3166 alpha-2 code. A node makes them from its verified directory
(:func:`state_info` of each entry in effect, see :mod:`hanoi.directory.view`); a node that
pinned no directory reads them from the demo fixture (:mod:`hanoi.directory.fixture`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from hanoi.directory.entry import Entry
    from hanoi.treaty.record import TreatyRecord

TreatyStatus = Literal["party", "signatory", "none"]

#: Shown for an authority kind the entry names no one for.
NONE_DESIGNATED = "(none designated)"


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


class StateDirectory:
    """Read-only lookups over a set of States, keyed by ISO 3166 alpha-2 code.

    Each code appears once (``ValueError`` otherwise): whoever builds one from a source
    that could repeat a code checks for it first and says where.

    ``treaty`` is the depositary record that goes with these States, if the builder knows
    one: the node's verified copy, the record shipped with Hanoi, or the demo federation's
    fictional record beside the fixture. The request checker reads whether the Convention
    binds a request's States from it (:func:`hanoi.cases.check.check_document`).
    """

    def __init__(self, states: Iterable[StateInfo], *, treaty: TreatyRecord | None = None) -> None:
        self.treaty = treaty
        by_code: dict[str, StateInfo] = {}
        for info in states:
            if info.code in by_code:
                raise ValueError(f"duplicate State code {info.code!r}")
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


def state_info(entry: Entry, status: TreatyStatus | None = None) -> StateInfo:
    """What the checker and the letters need from one verified entry; ``status``, when
    given, is the treaty status the depositary record gives, which wins over the entry's."""
    central = entry.authorities_of("central_authority")
    contact = entry.authorities_of("point_of_contact_24_7")
    reachable = contact or central or entry.authorities
    return StateInfo(
        code=entry.code,
        name=entry.display_name("en"),
        status=status if status is not None else entry.treaty.status,
        languages=entry.languages,
        central_authority=central[0].name if central else NONE_DESIGNATED,
        point_of_contact_24_7=contact[0].name if contact else NONE_DESIGNATED,
        time_zone=reachable[0].time_zone,
        fictional=entry.fictional,
    )

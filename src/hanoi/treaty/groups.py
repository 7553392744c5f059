"""The five regional groups of UN Member States, as data with its source.

``data/regional-groups.yaml`` maps each Member State (ISO 3166-1 alpha-2) to its group, as
the UN Department for General Assembly and Conference Management lists them; a State whose
group that list alone does not settle (Kiribati, Türkiye, the United States) is marked
``unconfirmed`` with a note. A code in no group (an observer, an organisation such as the
European Union, a fictional demo State) is *not listed*: :meth:`RegionalGroups.group_of`
gives None, and the treaty page counts it apart.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hanoi.files import read_bounded
from hanoi.treaty.record import Confidence, TreatyRecordError, is_source, normalise_code

__all__ = [
    "GROUP_IDS",
    "REGIONAL_GROUPS",
    "Membership",
    "RegionalGroups",
    "load_regional_groups",
    "regional_groups",
]

#: The file shipped with Hanoi.
REGIONAL_GROUPS = Path(__file__).with_name("data") / "regional-groups.yaml"
#: The groups, in the order the Department lists them.
GroupId = Literal[
    "african", "asia-pacific", "eastern-european", "latin-american-caribbean",
    "western-european-other",
]  # fmt: skip
GROUP_IDS: tuple[GroupId, ...] = (
    "african",
    "asia-pacific",
    "eastern-european",
    "latin-american-caribbean",
    "western-european-other",
)
_MAX_BYTES = 64 << 10


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    states: tuple[str, ...]
    unconfirmed: dict[str, Annotated[str, Field(min_length=1, max_length=500)]] = {}


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["hanoi-regional-groups/1"]
    source: str
    confidence: Confidence
    note: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    special_cases_source: str | None = None
    groups: dict[GroupId, _Group]


@dataclass(frozen=True)
class Membership:
    """A State's group, how sure, and why not (``note``) when unconfirmed."""

    group: GroupId
    confidence: Confidence
    note: str | None = None


@dataclass(frozen=True)
class RegionalGroups:
    """Who is in which group, and who says so."""

    source: str
    confidence: Confidence
    names: dict[GroupId, str]
    members: dict[str, Membership]
    special_cases_source: str | None = None

    def group_of(self, code: str) -> Membership | None:
        """``code``'s group, or None: not listed (no Member State, or none of the five)."""
        return self.members.get(code)

    def size(self, group: GroupId) -> int:
        """How many States the data puts in ``group``."""
        return sum(1 for m in self.members.values() if m.group == group)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "confidence": self.confidence,
            **(
                {"special_cases_source": self.special_cases_source}
                if self.special_cases_source
                else {}
            ),
            "groups": {g: {"name": self.names[g], "size": self.size(g)} for g in GROUP_IDS},
        }


def load_regional_groups(path: Path = REGIONAL_GROUPS) -> RegionalGroups:
    """The groups in ``path``, checked: every code ISO 3166-1, every State in one group at
    most, every group present, the sources depositary-style references or https."""
    try:
        data = yaml.safe_load(read_bounded(path, _MAX_BYTES))
        parsed = _File.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise TreatyRecordError(f"{path.name}: {str(exc)[:300]}", check="file") from None
    for source in (parsed.source, parsed.special_cases_source):
        if source is not None and not is_source(source):
            raise TreatyRecordError(f"{path.name}: {source!r} is no https address", check="source")
    if set(parsed.groups) != set(GROUP_IDS):
        raise TreatyRecordError(f"{path.name}: the five groups, each once", check="file")
    members: dict[str, Membership] = {}
    for group_id in GROUP_IDS:
        group = parsed.groups[group_id]
        listed: list[tuple[object, Confidence, str | None]] = [
            (code, parsed.confidence, None) for code in group.states
        ]
        listed += [(code, "unconfirmed", note) for code, note in group.unconfirmed.items()]
        for code, confidence, note in listed:
            if not isinstance(code, str):  # YAML reads NO (Norway) as false: quote it
                raise TreatyRecordError(f"{path.name}: {code!r} is not a code", check="code")
            normal = normalise_code(code)
            if normal in members:
                raise TreatyRecordError(f"{path.name}: {normal} in two groups", check="duplicate")
            members[normal] = Membership(group_id, confidence, note)
    return RegionalGroups(
        source=parsed.source,
        confidence=parsed.confidence,
        names={g: parsed.groups[g].name for g in GROUP_IDS},
        members=members,
        special_cases_source=parsed.special_cases_source,
    )


@functools.cache
def regional_groups() -> RegionalGroups:
    """The groups shipped with Hanoi, read once."""
    return load_regional_groups()

"""The depositary record as data: what each State (or regional economic integration
organisation) did about the Convention, when, and who says so.

The record is kept by the Secretariat (docs/treaty.md). It holds, per State, every action
with its date: signature, ratification, acceptance, approval, accession, declaration,
reservation (with article and paragraph), objection to another State's reservation,
withdrawal of a reservation, denunciation (Art. 67) and notification (central authority,
24/7 point of contact, languages). Every row names its **source** — a depositary
notification number (``C.N.196.2025.TREATIES-XVIII.16``) or an ``https`` address — and its
``confidence``: ``confirmed`` where the source is the depositary (or equally
authoritative), ``unconfirmed`` otherwise. A row without a source is refused.

Beside the rows, the record keeps counts a source states (``reported``): the depositary's
page said "72 signatories" while the part of its list that was stored names fewer. The
count is a fact of its own and is never derived from the list, so a page can say where the
two disagree.

Validation is strict and refuses, with one :class:`TreatyRecordError` naming the State, the
row and the check:

- unknown fields, a date that is not a date, a row without a source or confidence;
- a code that is not ISO 3166-1 (alpha-2, or alpha-3, stored as alpha-2); the codes
  user-assigned by ISO 3166 (AA, QM-QZ, XA-XZ, ZZ) only in a record marked ``fictional``;
  a code that is no country (``EU``) only for an organisation marked ``reio: true``, which
  lists its member States;
- the same action twice (same kind, date, article, paragraph, State objected to, topic);
- an order that cannot be (:func:`check_history`, the rules listed there).

The file is YAML, written by :func:`dump_record` in one canonical form (States by code,
each State's actions by date then kind, fields in a fixed order, defaults left out), so
saving what was loaded gives the same bytes; :func:`save_record` writes it durably
(:func:`hanoi.files.replace_file`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hanoi.errors import InvalidInput
from hanoi.files import read_bounded, replace_file

__all__ = [
    "CONSENT",
    "FORMAT",
    "MAX_RECORD_BYTES",
    "OPENED_FOR_SIGNATURE",
    "SIGNATURE_CLOSES",
    "Action",
    "ActionKind",
    "Confidence",
    "Dated",
    "RecordCheck",
    "ReportedCount",
    "StateRecord",
    "Topic",
    "TreatyRecord",
    "TreatyRecordError",
    "check_history",
    "day_order",
    "denunciation_effect",
    "dump_record",
    "is_source",
    "load_record",
    "normalise_code",
    "parse_record",
    "parse_record_bytes",
    "save_record",
]

FORMAT: Literal["hanoi-treaty-record/1"] = "hanoi-treaty-record/1"
#: The Convention opened for signature in Hanoi on this day (Art. 64(1)); no action of a
#: State can be older.
OPENED_FOR_SIGNATURE = date(2025, 10, 25)
#: Signature closes at the end of this day (Art. 64(1)); afterwards States accede.
SIGNATURE_CLOSES = date(2026, 12, 31)
#: The largest record file read (the real one is some tens of KiB).
MAX_RECORD_BYTES = 4 << 20

Confidence = Literal["confirmed", "unconfirmed"]
#: How the date of a row is meant: the day itself; only that it happened by then (a report
#: dated later than the act); or only that it cannot have happened earlier (a domestic step
#: that must precede the deposit).
Dated = Literal["exact", "on-or-before", "on-or-after"]

RecordCheck = Literal["file", "field", "source", "code", "duplicate", "order", "objection"]


class TreatyRecordError(InvalidInput):
    """The record, a row of it, or a row to add is not acceptable; ``check`` names the
    check that failed, and the message names the State and the row."""

    title = "Invalid treaty record"

    def __init__(self, message: str, *, check: RecordCheck) -> None:
        super().__init__(message)
        self.check = check


class ActionKind(StrEnum):
    SIGNATURE = "signature"
    RATIFICATION = "ratification"
    ACCEPTANCE = "acceptance"
    APPROVAL = "approval"
    ACCESSION = "accession"
    RESERVATION = "reservation"
    DECLARATION = "declaration"
    NOTIFICATION = "notification"
    OBJECTION = "objection"
    RESERVATION_WITHDRAWAL = "reservation-withdrawal"
    DENUNCIATION = "denunciation"


#: The instruments that express consent to be bound, counted by Art. 65.
CONSENT = frozenset(
    {ActionKind.RATIFICATION, ActionKind.ACCEPTANCE, ActionKind.APPROVAL, ActionKind.ACCESSION}
)
#: The order of actions taken on one day: a reservation made at signature follows it.
_DAY_ORDER = {kind: index for index, kind in enumerate(ActionKind)}


def day_order(kind: ActionKind) -> int:
    """Where ``kind`` comes among the actions of one day (signature first, denunciation
    last): a reservation made at signature follows the signature."""
    return _DAY_ORDER[kind]


class Topic(StrEnum):
    """What a notification designates."""

    CENTRAL_AUTHORITY = "central-authority"
    POINT_OF_CONTACT_24_7 = "point-of-contact-24-7"
    LANGUAGES = "languages"


_DEPOSITARY = re.compile(r"C\.N\.[0-9]{1,5}\.[0-9]{4}\.TREATIES-[IVXLC]{1,8}\.[0-9]{1,3}")
_HTTPS = re.compile(r"https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:[0-9]{1,5})?(/[!-~]*)?")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_CODE = re.compile(r"[A-Z]{2,3}")


def is_source(text: str) -> bool:
    """A depositary notification number (C.N.<n>.<year>.TREATIES-<chapter>.<number>) or an
    https address without spaces."""
    return bool(_DEPOSITARY.fullmatch(text) or _HTTPS.fullmatch(text))


def _user_assigned(code: str) -> bool:
    return len(code) == 2 and (
        code in {"AA", "ZZ"} or code[0] == "X" or (code[0] == "Q" and code[1] >= "M")
    )


def normalise_code(code: str, *, fictional: bool = False, reio: bool = False) -> str:
    """``code`` as the record keeps it: an ISO 3166-1 alpha-2 code (an alpha-3 code is
    turned into it); a user-assigned code only when ``fictional``; any two or three capital
    letters naming no country only for a ``reio``."""
    text = code.strip().upper()
    if not _CODE.fullmatch(text):
        raise TreatyRecordError(
            f"{code!r}: not a State code (two or three letters, ISO 3166-1)", check="code"
        )
    if _user_assigned(text):
        if fictional:
            return text
        raise TreatyRecordError(
            f"{text}: a user-assigned code, allowed only in a fictional record", check="code"
        )
    country = (
        pycountry.countries.get(alpha_2=text)
        if len(text) == 2
        else pycountry.countries.get(alpha_3=text)
    )
    if reio:
        if country is not None:
            raise TreatyRecordError(
                f"{text}: a State's code, not a regional economic integration organisation's",
                check="code",
            )
        return text
    if country is None:
        raise TreatyRecordError(
            f"{text}: not an ISO 3166-1 code (an organisation such as EU must say reio: true)",
            check="code",
        )
    return str(country.alpha_2)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


def _require_source(data: Any, what: str) -> Any:
    if isinstance(data, dict):
        source = data.get("source")
        if source is None or (isinstance(source, str) and not source.strip()):
            raise TreatyRecordError(
                f"{what}: no source: every row needs a depositary notification number "
                "(C.N.<n>.<year>.TREATIES-XVIII.16) or an https address",
                check="source",
            )
        if isinstance(source, str) and not is_source(source):
            raise TreatyRecordError(
                f"{what}: source {source!r} is neither a depositary notification number "
                "nor an https address",
                check="source",
            )
    return data


class Action(_Frozen):
    """One row of a State's record: what it did, on which day, and who says so."""

    kind: ActionKind
    date: date
    dated: Dated = "exact"
    article: Annotated[int, Field(ge=1, le=68)] | None = None
    paragraph: Annotated[int, Field(ge=1, le=99)] | None = None
    against: str | None = None
    topic: Topic | None = None
    languages: tuple[str, ...] = ()
    detail: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    source: Annotated[str, Field(max_length=500)]
    confidence: Confidence
    note: Annotated[str, Field(min_length=1, max_length=1000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _has_source(cls, data: Any) -> Any:
        if isinstance(data, dict):
            what = f"{data.get('kind', 'row')} of {data.get('date', '?')}"
            return _require_source(data, what)
        return data

    @field_validator("date", mode="before")
    @classmethod
    def _a_date(cls, value: Any) -> Any:
        # A date only: not a date-time, not a number of days.
        if isinstance(value, str) and len(value) != 10:
            raise ValueError("a date as YYYY-MM-DD")
        if isinstance(value, datetime) or not isinstance(value, date | str):
            raise ValueError("a date as YYYY-MM-DD")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not _LANGUAGE.fullmatch(code):
                raise ValueError(f"{code!r} is not a language code (ISO 639, lower case)")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Action:
        problem = _misfit(self)
        if problem:
            raise TreatyRecordError(f"{self.describe()}: {problem}", check="field")
        if self.date < OPENED_FOR_SIGNATURE:
            raise TreatyRecordError(
                f"{self.describe()}: before the Convention opened for signature "
                f"({OPENED_FOR_SIGNATURE})",
                check="order",
            )
        return self

    @property
    def provision(self) -> str | None:
        """``Art. 11(3)``, ``Art. 7``, or None."""
        if self.article is None:
            return None
        return f"Art. {self.article}" + (f"({self.paragraph})" if self.paragraph else "")

    def describe(self) -> str:
        """``reservation Art. 11(3) of 2025-10-25``: the row, as messages name it."""
        parts = [str(self.kind)]
        if self.provision:
            parts.append(self.provision)
        if self.against:
            parts.append(f"against {self.against}")
        if self.topic:
            parts.append(str(self.topic))
        return f"{' '.join(parts)} of {self.date.isoformat()}"

    def identity(self) -> tuple[object, ...]:
        """What makes two rows the same action (sources and notes aside)."""
        return (
            self.kind,
            self.date,
            self.article,
            self.paragraph,
            self.against,
            self.topic,
            self.languages,
            self.detail,
        )

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.date,
            _DAY_ORDER[self.kind],
            self.article or 0,
            self.paragraph or 0,
            self.against or "",
            str(self.topic or ""),
            self.languages,
            self.detail or "",
            self.source,
        )


def _misfit(action: Action) -> str | None:
    """What is wrong with the fields of ``action`` for its kind, or None."""
    kind = action.kind
    if action.paragraph is not None and action.article is None:
        return "a paragraph needs its article"
    needs_provision = kind in {
        ActionKind.RESERVATION,
        ActionKind.RESERVATION_WITHDRAWAL,
        ActionKind.OBJECTION,
    }
    if needs_provision and (action.article is None or action.paragraph is None):
        return "needs the article and paragraph of the reservation (e.g. 11(3))"
    if kind is not ActionKind.OBJECTION and action.against is not None:
        return "only an objection names another State (against)"
    if kind is ActionKind.OBJECTION and action.against is None:
        return "an objection names the State whose reservation it objects to (against)"
    if kind is ActionKind.NOTIFICATION:
        if action.topic is None:
            return "a notification names its topic (central-authority, point-of-contact-24-7, "
            "languages)"
        if action.topic is Topic.LANGUAGES and not action.languages:
            return "a notification of languages lists them"
        if action.topic is not Topic.LANGUAGES and action.languages:
            return "only a notification of languages lists languages"
        if action.topic is not Topic.LANGUAGES and action.detail is None:
            return "a designation names the authority (detail)"
        return None
    if action.topic is not None or action.languages:
        return "only a notification has a topic or languages"
    if kind in CONSENT or kind in {ActionKind.SIGNATURE, ActionKind.DENUNCIATION}:
        if action.article is not None:
            return "names no article"
        if action.detail is not None:
            return "has no detail (use note)"
    return None


class ActionLike(Protocol):
    """What :func:`check_history` reads of a row: a record row or an assumed one."""

    @property
    def kind(self) -> ActionKind: ...
    @property
    def date(self) -> date: ...
    @property
    def article(self) -> int | None: ...
    @property
    def paragraph(self) -> int | None: ...


def denunciation_effect(notified: date) -> date:
    """The day a denunciation notified on ``notified`` takes effect: one year later (Art.
    67, period unconfirmed); one notified on 29 February takes effect on 28 February."""
    try:
        return notified.replace(year=notified.year + 1)
    except ValueError:  # 29 February, and the next year has none
        return notified.replace(year=notified.year + 1, day=28)


def check_history(code: str, actions: Iterable[ActionLike]) -> None:
    """Refuse an order of actions that cannot be, naming the first offending row.

    The rules, walking the actions by date (on one day: signature, instrument, reservation,
    declaration, notification, objection, withdrawal, denunciation):

    - a signature: once, not after the State's instrument, not after signature closed
      (:data:`SIGNATURE_CLOSES`, Art. 64(1));
    - a ratification, acceptance or approval follows the State's signature; an accession
      is made by a State that did not sign, or re-accedes after its denunciation took
      effect; one instrument at a time: none while another is in effect or while a
      denunciation is pending; after a denunciation took effect, only accession;
    - a denunciation needs an instrument in effect and none pending already; it takes
      effect one year after its notification (:func:`denunciation_effect`);
    - a reservation is made on the day of the State's signature or of an instrument, with
      its article and paragraph; a withdrawal names a reservation made and not withdrawn;
    - a declaration, notification or objection comes on or after the State's signature or
      instrument.
    """
    ordered = sorted(actions, key=lambda a: (a.date, _DAY_ORDER[a.kind]))
    signed: date | None = None
    instrument: date | None = None  # the instrument in effect (its deposit)
    ever_denounced = False
    pending: date | None = None  # when the pending denunciation takes effect
    consent_days: set[date] = set()
    reservations: set[tuple[int | None, int | None]] = set()

    def refuse(action: ActionLike, why: str) -> None:
        raise TreatyRecordError(
            f"{code}: {action.kind} of {action.date.isoformat()}: {why}", check="order"
        )

    for action in ordered:
        kind, day = action.kind, action.date
        if pending is not None and day >= pending:
            instrument, pending, ever_denounced = None, None, True
        if kind is ActionKind.SIGNATURE:
            if signed is not None:
                refuse(action, f"signed already on {signed.isoformat()}")
            if consent_days:
                refuse(action, "a signature after the State's instrument")
            if day > SIGNATURE_CLOSES:
                refuse(action, f"signature closed on {SIGNATURE_CLOSES.isoformat()} (Art. 64(1))")
            signed = day
        elif kind in CONSENT:
            if pending is not None:
                refuse(action, f"a denunciation is pending (it takes effect {pending})")
            if instrument is not None:
                refuse(action, f"an instrument of {instrument.isoformat()} is in effect")
            if ever_denounced and kind is not ActionKind.ACCESSION:
                refuse(action, "after a denunciation took effect a State accedes anew")
            if not ever_denounced and kind is ActionKind.ACCESSION and signed is not None:
                refuse(action, "a signatory ratifies, accepts or approves; it does not accede")
            if kind is not ActionKind.ACCESSION and signed is None:
                refuse(action, "no signature before it (a State that did not sign accedes)")
            instrument = day
            consent_days.add(day)
        elif kind is ActionKind.DENUNCIATION:
            if instrument is None:
                refuse(action, "no instrument in effect to denounce")
            if pending is not None:
                refuse(action, "a denunciation is pending already")
            pending = denunciation_effect(day)
        elif kind is ActionKind.RESERVATION:
            if day != signed and day not in consent_days:
                refuse(action, "a reservation is made at signature or with an instrument")
            reservations.add((action.article, action.paragraph))
        elif kind is ActionKind.RESERVATION_WITHDRAWAL:
            if (action.article, action.paragraph) not in reservations:
                refuse(action, "no reservation under that article and paragraph to withdraw")
            reservations.discard((action.article, action.paragraph))
        elif signed is None and not consent_days:
            refuse(action, "before the State signed or deposited an instrument")


class StateRecord(_Frozen):
    """A State, or a regional economic integration organisation, and its actions."""

    code: str
    name: Annotated[str, Field(min_length=1, max_length=200)]
    reio: bool = False
    members: tuple[str, ...] = ()
    members_source: str | None = None
    actions: tuple[Action, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _rows_named_by_state(cls, data: Any) -> Any:
        # A row's own refusal names the State it belongs to.
        if not isinstance(data, dict) or not isinstance(data.get("actions"), list | tuple):
            return data
        rows = []
        for item in data["actions"]:
            if isinstance(item, dict):
                try:
                    item = Action.model_validate(item)
                except TreatyRecordError as exc:
                    raise TreatyRecordError(f"{data.get('code')}: {exc}", check=exc.check) from None
                except ValidationError:
                    pass  # reported with its place by parse_record
            rows.append(item)
        return {**data, "actions": rows}

    @model_validator(mode="after")
    def _consistent(self) -> StateRecord:
        if self.members and not self.reio:
            raise TreatyRecordError(
                f"{self.code}: only a regional economic integration organisation has members",
                check="field",
            )
        if self.reio and not self.members:
            raise TreatyRecordError(
                f"{self.code}: a regional economic integration organisation lists its member "
                "States",
                check="field",
            )
        if self.members_source is not None and not is_source(self.members_source):
            raise TreatyRecordError(
                f"{self.code}: members_source is neither a depositary notification number nor "
                "an https address",
                check="source",
            )
        if len(set(self.members)) != len(self.members) or self.code in self.members:
            raise TreatyRecordError(f"{self.code}: a member listed twice", check="field")
        seen: dict[tuple[object, ...], Action] = {}
        for action in self.actions:
            if action.identity() in seen:
                raise TreatyRecordError(
                    f"{self.code}: {action.describe()} recorded twice (keep one row, with "
                    "the better source)",
                    check="duplicate",
                )
            seen[action.identity()] = action
        check_history(self.code, self.actions)
        return self

    def sorted_actions(self) -> tuple[Action, ...]:
        return tuple(sorted(self.actions, key=Action.sort_key))


class ReportedCount(_Frozen):
    """A count a source states (``72 signatories``), kept apart from the rows."""

    of: Literal["signatories", "parties"]
    count: Annotated[int, Field(ge=0, le=500)]
    as_of: date | None = None
    source: str
    confidence: Confidence
    note: Annotated[str, Field(min_length=1, max_length=1000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _has_source(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return _require_source(data, f"count of {data.get('of', '?')} {data.get('count')}")
        return data


class TreatyRecord(_Frozen):
    """The whole record: every State's actions and the counts sources state."""

    format: Literal["hanoi-treaty-record/1"] = FORMAT
    fictional: bool = False
    note: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    reported: tuple[ReportedCount, ...] = ()
    states: tuple[StateRecord, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _codes(cls, data: Any) -> Any:
        # Codes normalised before the States are built: alpha-3 becomes alpha-2.
        if not isinstance(data, dict) or not isinstance(data.get("states"), list | tuple):
            return data
        fictional = bool(data.get("fictional", False))
        states = []
        for entry in data["states"]:
            if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                reio = bool(entry.get("reio", False))
                entry = {
                    **entry,
                    "code": normalise_code(entry["code"], fictional=fictional, reio=reio),
                }
                if isinstance(entry.get("members"), list | tuple):
                    entry["members"] = [
                        normalise_code(m, fictional=fictional) if isinstance(m, str) else m
                        for m in entry["members"]
                    ]
                if isinstance(entry.get("actions"), list | tuple):
                    entry["actions"] = [_normalise_against(a, fictional) for a in entry["actions"]]
            states.append(entry)
        return {**data, "states": states}

    @model_validator(mode="after")
    def _across_states(self) -> TreatyRecord:
        codes = [s.code for s in self.states]
        for code in codes:
            if codes.count(code) > 1:
                raise TreatyRecordError(f"{code}: listed twice", check="duplicate")
        by_code = {s.code: s for s in self.states}
        for state in self.states:
            for member in state.members:
                if member in by_code and by_code[member].reio:
                    raise TreatyRecordError(
                        f"{state.code}: member {member} is an organisation, not a State",
                        check="field",
                    )
            for action in state.actions:
                if action.kind is ActionKind.OBJECTION:
                    _check_objection(state.code, action, by_code)
        return self

    def state(self, code: str) -> StateRecord | None:
        try:
            wanted = normalise_code(code, fictional=self.fictional)
        except TreatyRecordError:
            wanted = code.strip().upper()
        return next((s for s in self.states if s.code == wanted), None)

    def reios(self) -> frozenset[str]:
        return frozenset(s.code for s in self.states if s.reio)

    def with_action(
        self,
        code: str,
        action: Action,
        *,
        name: str | None = None,
        reio: bool = False,
        members: Sequence[str] = (),
        members_source: str | None = None,
    ) -> TreatyRecord:
        """The record with ``action`` added to the State ``code`` (added itself if new:
        its ``name`` defaults to the ISO 3166 name), validated whole again."""
        data = self.model_dump(mode="python")
        data["states"] = list(data["states"])
        existing = self.state(code)
        if existing is not None:
            for entry in data["states"]:
                if entry["code"] == existing.code:
                    entry["actions"] = [*entry["actions"], action.model_dump(mode="python")]
        else:
            normalised = normalise_code(code, fictional=self.fictional, reio=reio)
            if name is None:
                country = pycountry.countries.get(alpha_2=normalised)
                if country is None:
                    raise TreatyRecordError(
                        f"{normalised}: new to the record: give its name", check="field"
                    )
                name = str(country.name)
            data["states"].append(
                {
                    "code": normalised,
                    "name": name,
                    "reio": reio,
                    "members": list(members),
                    "members_source": members_source,
                    "actions": [action.model_dump(mode="python")],
                }
            )
        return parse_record(data)


def _normalise_against(action: Any, fictional: bool) -> Any:
    if isinstance(action, dict) and isinstance(action.get("against"), str):
        against = action["against"]
        try:
            against = normalise_code(against, fictional=fictional)
        except TreatyRecordError:
            against = normalise_code(against, fictional=fictional, reio=True)
        return {**action, "against": against}
    return action


def _check_objection(code: str, action: Action, by_code: dict[str, StateRecord]) -> None:
    target = by_code.get(action.against or "")
    if target is None:
        raise TreatyRecordError(
            f"{code}: {action.describe()}: {action.against} is not in the record",
            check="objection",
        )
    if not any(
        r.kind is ActionKind.RESERVATION
        and (r.article, r.paragraph) == (action.article, action.paragraph)
        and r.date <= action.date
        for r in target.actions
    ):
        raise TreatyRecordError(
            f"{code}: {action.describe()}: {target.code} made no such reservation by then",
            check="objection",
        )


# --- the file ---------------------------------------------------------------------------------

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def parse_record(data: Any) -> TreatyRecord:
    """The record from parsed YAML or JSON data; :class:`TreatyRecordError` if it is not
    acceptable (the first problem, named)."""
    try:
        return TreatyRecord.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = _location(data, error["loc"])
        raise TreatyRecordError(f"{where}: {error['msg']}", check="field") from None


def _location(data: Any, loc: tuple[int | str, ...]) -> str:
    """``states[AZ].actions[2].date`` for a pydantic location, the State by its code."""
    parts: list[str] = []
    node = data
    for key in loc:
        label = str(key)
        if isinstance(key, int) and isinstance(node, list | tuple) and key < len(node):
            item = node[key]
            label = (
                f"[{item.get('code', key)}]"
                if isinstance(item, dict) and "code" in item
                else f"[{key}]"
            )
            node = item
        else:
            node = node.get(key) if isinstance(node, dict) else None
            label = f".{label}" if parts else label
        parts.append(label)
    return "".join(parts) or "record"


def load_record(path: Path) -> TreatyRecord:
    """The record in the YAML (or JSON) file ``path``."""
    return parse_record_bytes(read_bounded(Path(path), MAX_RECORD_BYTES), Path(path).name)


def parse_record_bytes(raw: bytes, name: str = "record") -> TreatyRecord:
    """The record in the YAML (or JSON) bytes ``raw``, ``name`` naming them in errors."""
    if len(raw) > MAX_RECORD_BYTES:
        raise TreatyRecordError(f"{name}: larger than {MAX_RECORD_BYTES:,} bytes", check="file")
    try:
        data = yaml.load(raw, Loader=_YAML_LOADER)  # noqa: S506  (a safe loader)
    except yaml.YAMLError as exc:
        raise TreatyRecordError(
            f"{name}: not YAML: {str(exc).splitlines()[0]}", check="file"
        ) from None
    if not isinstance(data, dict):
        raise TreatyRecordError(f"{name}: not a record (a mapping)", check="file")
    return parse_record(data)


def _canonical(record: TreatyRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json", exclude_defaults=True)
    data = {"format": FORMAT, **data}
    states = sorted(record.states, key=lambda s: s.code)
    data["states"] = [
        {
            **s.model_dump(mode="json", exclude_defaults=True, exclude={"actions"}),
            "actions": [
                a.model_dump(mode="json", exclude_defaults=True) for a in s.sorted_actions()
            ],
        }
        for s in states
    ]
    data["reported"] = [
        r.model_dump(mode="json", exclude_defaults=True)
        for r in sorted(
            record.reported, key=lambda r: (r.of, r.as_of or date.min, r.count, r.source)
        )
    ]
    if not data["reported"]:
        del data["reported"]
    return data


def dump_record(record: TreatyRecord) -> bytes:
    """The record's canonical YAML bytes: the same record always gives the same bytes."""
    text = yaml.dump(
        _canonical(record),
        Dumper=_YAML_DUMPER,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return text.encode("utf-8")


def save_record(record: TreatyRecord, path: Path) -> None:
    """Write the record to ``path`` whole or not at all (readable by all: it is public)."""
    replace_file(Path(path), dump_record(record), mode=0o644)

"""Check a request document against the Convention data and the directory of States.

Two kinds of checks, both reported together so an officer fixes everything in one pass:

* **elements** - generic: the instrument's data lists which fields must be filled (with
  conditions); no code per element, so a reviewer can add or reword one in YAML.
* **rules** - cross-field logic that needs code. Each function here is registered under a
  rule id; its message, article, severity and confidence come from ``rules.yaml``. The two
  sets must match exactly, or the first check fails with ``ConventionDataError``. A rule
  whose answer rests on a less certain provision than its own (Art. 65(2) rather than
  65(1)) says so for that problem: its article, and ``unconfirmed``.

Whether the Convention binds both States of a request on its date is read from the
depositary record passed in (``treaty``), as the States are from the directory passed in:
the check reads no file and asks no network (see :func:`check_document`). The same record
gives the reservations and declarations of the requested State in effect on that date: one
under the article an offence of the request is defined in is shown at that offence.
"""

from __future__ import annotations

import functools
import string
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from hanoi.cases.documents import DataItem, OffenceItem, Period, document_model, unwrap_optional
from hanoi.cases.errors import DocumentError
from hanoi.convention import (
    Basis,
    Confidence,
    Convention,
    ConventionDataError,
    Element,
    Instrument,
    Severity,
    get_convention,
    verify_rule_implementations,
)
from hanoi.directory.fixture import load_fixture_directory
from hanoi.directory.states import StateDirectory
from hanoi.treaty import shipped_record
from hanoi.treaty.entry_into_force import (
    INSTRUMENTS_NEEDED,
    Binding,
    Timeline,
    bound,
    convention_entry_into_force,
    counted_instruments,
    timeline,
)
from hanoi.treaty.record import CONSENT, Action, ActionKind, TreatyRecord

__all__ = [
    "IMPLEMENTED_RULES",
    "MISSING",
    "PHRASES",
    "RECOMMENDED",
    "CheckReport",
    "Problem",
    "Term",
    "check_document",
    "message_id",
    "problem_messages",
]

# --- the wording of problems, in English and for the pages ------------------------------
#
# ``Problem.message`` is English, as the API and the CLI have always said it. A page says
# the same problem in its own language: the problem also carries its message as a gettext
# message id (``template``, ``%(name)s`` placeholders) and the values that fill it
# (``values``). A value is shown as it is (a code, a date, a number, what the officer
# typed), or is a :class:`Term`: wording the page translates too (a field label, an
# element label, a data category, a phrase of this module). The ids are the rules' message
# templates of ``rules.yaml`` made gettext ids (:func:`message_id`) and the phrases below;
# :func:`problem_messages` lists them for the ``pages`` catalogue (hanoi.web.page_messages).

MISSING = "Missing required element: %(element)s."
RECOMMENDED = "Recommended element not given: %(element)s."
_NO_PENALTY = "no maximum penalty"
_YEARS = "%(years)s year(s)"
_USE_INSTEAD = "use %(kinds)s instead"
_NO_INSTRUMENT = "no instrument asks for %(access)s %(category)s"
_NO_INSTRUMENT_DEPOSITED = (
    "has deposited no instrument of ratification, acceptance, approval or accession"
)
_TOO_FEW_INSTRUMENTS = (
    "has deposited its instrument, but only %(counted)s of the %(needed)s instruments the "
    "Convention needs to enter into force are deposited"
)
_DENOUNCED = "has denounced the Convention, and the denunciation has taken effect"
_NONE = "none"
PHRASES: tuple[str, ...] = (
    MISSING,
    RECOMMENDED,
    _NO_PENALTY,
    _YEARS,
    _USE_INSTEAD,
    _NO_INSTRUMENT,
    _NO_INSTRUMENT_DEPOSITED,
    _TOO_FEW_INSTRUMENTS,
    _DENOUNCED,
    _NONE,
)
"""The phrases of this module a page translates (besides the rules' messages)."""


class Term(BaseModel):
    """Wording inside a problem's message that a page translates: an English message id of
    the pages' catalogues (a label, a name of the Convention data, a phrase of
    :data:`PHRASES`) and the values of its placeholders, shown as they are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message: str
    values: dict[str, str | int | float] = {}

    def english(self) -> str:
        return self.message % self.values if self.values else self.message


Value = str | int | float | date | Term
"""A value of a problem's message: shown as it is (a date in the page's way; ISO 8601 in
the English message and in JSON), or a :class:`Term` to translate."""


def message_id(template: str) -> str:
    """A rule's ``str.format`` message template as a gettext message id: ``{name}`` becomes
    ``%(name)s``, ``{name!r}`` ``'%(name)s'`` (what ``repr`` adds around a name), ``%``
    ``%%``. Filled with the same values, the id says exactly what the template says."""
    out: list[str] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal.replace("%", "%%"))
        if name is None:
            continue
        if spec:
            raise ValueError(f"a format spec ({spec!r}) has no gettext form")
        out.append(f"'%({name})s'" if conversion == "r" else f"%({name})s")
    return "".join(out)


def problem_messages(convention: Convention | None = None) -> list[str]:
    """Every message id a page may show for a problem: the rules' messages, then
    :data:`PHRASES`, each once."""
    convention = convention or get_convention()
    ids = [message_id(rule.message) for rule in convention.rules]
    return list(dict.fromkeys([*ids, *PHRASES]))


class Problem(BaseModel):
    """One thing wrong with a request, traceable to the article it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """Dotted field path (list indices as numbers); empty for the whole document."""
    message: str
    """What is wrong, in English."""
    article: str
    severity: Severity
    confidence: Confidence
    basis: Basis
    """``convention`` when the treaty text asks for it; ``platform`` when the platform does
    (the article is then the one the requirement serves, not one that lists it)."""
    rule: str
    """The element id or rule id that produced the problem."""
    template: str | None = None
    """``message`` as a gettext message id (``%(name)s`` placeholders), for pages to say
    in their language; filled with ``values`` it is ``message``."""
    values: dict[str, Value] = {}
    """The values of ``template``'s placeholders: shown as they are (a date in the page's
    way), or a :class:`Term` to translate."""


class CheckReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    problems: list[Problem]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when nothing stops the request from being sent (warnings allowed)."""
        return self.errors == 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")


@dataclass(frozen=True)
class _Context:
    doc: Any  # one of the request document models; fields are read by name
    kind: str
    instrument: Instrument
    convention: Convention
    directory: StateDirectory
    treaty: TreatyRecord
    today: date

    @property
    def timeline(self) -> Timeline:
        return _treaty_answers(self.treaty).timeline

    def bound(self, code: str, day: date) -> Binding:
        """Whether the Convention binds ``code`` on ``day``, by the record checked against."""
        return _treaty_answers(self.treaty).bound(code, day)


class _TreatyAnswers:
    """A record's timeline and the answers given from it, kept while the record is the
    one checks are made against (a node's record changes only with a refresh)."""

    def __init__(self, record: TreatyRecord) -> None:
        self.record = record
        self.timeline = timeline(record)
        self._bound: dict[tuple[str, date], Binding] = {}

    def bound(self, code: str, day: date) -> Binding:
        key = (code, day)
        found = self._bound.get(key)
        if found is None:
            if len(self._bound) > 4096:
                self._bound.clear()
            found = self._bound[key] = bound(self.timeline, code, day)
        return found


_ANSWERS: dict[int, _TreatyAnswers] = {}


def _treaty_answers(record: TreatyRecord) -> _TreatyAnswers:
    # Keyed by identity, the record kept alive by its entry: a record is immutable, and a
    # node passes the same object until its copy changes.
    found = _ANSWERS.get(id(record))
    if found is None or found.record is not record:
        if len(_ANSWERS) >= 8:
            _ANSWERS.clear()
        found = _ANSWERS[id(record)] = _TreatyAnswers(record)
    return found


@dataclass(frozen=True)
class Weaker:
    """What a finding rests on when it is less than its rule's own article: another
    provision (``Art. 65(2)``) and its confidence."""

    article: str
    confidence: Confidence


Finding = tuple[str, dict[str, Value]]
"""(path, template parameters) produced by a rule."""


@dataclass(frozen=True)
class Found:
    """A finding that rests on less than its rule's own article (:class:`Weaker`)."""

    path: str
    values: dict[str, Value]
    weaker: Weaker | None = None


RuleFunction = Callable[[_Context], Iterable[Finding | Found]]
_RULES: dict[str, RuleFunction] = {}


def _rule(rule_id: str) -> Callable[[RuleFunction], RuleFunction]:
    def register(function: RuleFunction) -> RuleFunction:
        _RULES[rule_id] = function
        return function

    return register


def check_document(
    doc: BaseModel,
    *,
    directory: StateDirectory | None = None,
    treaty: TreatyRecord | None = None,
    today: date | None = None,
) -> CheckReport:
    """Return every problem with ``doc``: missing elements first (in the instrument's element
    order), then cross-field rules (in data order). ``directory`` defaults to the fixture,
    ``today`` to the local date.

    ``treaty`` is the depositary record whether the Convention binds the request's States
    is read from; it defaults to the record that came with ``directory`` (a node's verified
    copy, see :meth:`hanoi.directory.view.DirectoryView.states`; the demo federation's
    fictional record with the fixture), else the record shipped with Hanoi."""
    convention = _convention()
    kind = getattr(doc, "kind", None)
    if not isinstance(kind, str) or kind not in convention.instruments:
        raise DocumentError("not a request document: it has no known 'kind'")
    if not isinstance(doc, document_model(kind)):
        raise DocumentError(f"not a request document of kind {kind!r}")
    states = directory if directory is not None else load_fixture_directory()
    if treaty is None:
        treaty = states.treaty if states.treaty is not None else shipped_record()
    context = _Context(
        doc=doc,
        kind=kind,
        instrument=convention.instrument(kind),
        convention=convention,
        directory=states,
        treaty=treaty,
        today=today if today is not None else date.today(),
    )
    problems = [*_element_problems(context), *_rule_problems(context)]
    return CheckReport(kind=kind, problems=problems)


IMPLEMENTED_RULES: frozenset[str]
"""Rule ids with an implementation here (set at the end of the module)."""


@functools.cache
def _convention() -> Convention:
    convention = get_convention()
    verify_rule_implementations(convention, _RULES)
    for instrument in convention.instruments.values():
        model = document_model(instrument.kind)
        for element in instrument.elements:
            for path in filter(None, (element.field, _condition_field(element))):
                if not _path_exists(model, path.split(".")):
                    raise ConventionDataError(
                        "instruments.yaml",
                        f"{instrument.kind}: element {element.id!r} refers to "
                        f"{path!r}, which request documents of that kind do not have",
                    )
    return convention


# --- elements ---------------------------------------------------------------------------


def _element_problems(context: _Context) -> Iterator[Problem]:
    for element in context.instrument.elements:
        if not _condition_holds(element, context.doc):
            continue
        for path, value in _resolve(context.doc, element.field.split("."), ""):
            if _is_missing(value):
                template = MISSING if element.severity == "error" else RECOMMENDED
                values: dict[str, Value] = {"element": Term(message=element.label)}
                yield Problem(
                    path=path,
                    message=template % {"element": element.label},
                    template=template,
                    values=values,
                    article=str(element.article),
                    severity=element.severity,
                    confidence=element.confidence,
                    basis=element.basis,
                    rule=element.id,
                )


def _condition_field(element: Element) -> str | None:
    condition = element.when or element.unless
    return condition.field if condition is not None else None


def _condition_holds(element: Element, doc: object) -> bool:
    """Whether ``element`` is required for this document."""
    condition = element.when or element.unless
    if condition is None:
        return True
    values = [value for _, value in _resolve(doc, condition.field.split("."), "")]
    value = values[0] if values else None
    # Compare type as well: True must not match 1, nor "true" match True.
    matches = type(value) is type(condition.equals) and value == condition.equals
    return matches if element.when is not None else not matches


def _resolve(obj: object, parts: list[str], prefix: str) -> Iterator[tuple[str, object]]:
    """Yield ``(concrete path, value)`` for a dotted path; ``*`` fans out over list items.

    A missing intermediate object yields the full path with ``None`` (so an absent period
    reports ``collection_period.start``), except below a ``*``: an empty or absent list is the
    parent element's problem, not its items'."""
    if not parts:
        yield prefix, obj
        return
    head, rest = parts[0], parts[1:]
    if obj is None:
        if head != "*" and "*" not in rest:
            yield _join(prefix, ".".join(parts)), None
        return
    if head == "*":
        if isinstance(obj, list):
            for index, item in enumerate(obj):
                yield from _resolve(item, rest, _join(prefix, str(index)))
        return
    yield from _resolve(getattr(obj, head, None), rest, _join(prefix, head))


def _join(prefix: str, part: str) -> str:
    return f"{prefix}.{part}" if prefix else part


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return not value
    return False


def _path_exists(model: type[BaseModel], parts: list[str]) -> bool:
    current: Any = model
    for part in parts:
        current = unwrap_optional(current)
        if part == "*":
            if typing.get_origin(current) is not list:
                return False
            current = typing.get_args(current)[0]
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return False
        field = current.model_fields.get(part)
        if field is None:
            return False
        current = field.annotation
    return True


# --- rules ------------------------------------------------------------------------------


def _rule_problems(context: _Context) -> Iterator[Problem]:
    for rule in context.convention.rules_for(context.kind):
        for finding in _RULES[rule.id](context):
            if isinstance(finding, Found):
                path, params, weaker = finding.path, finding.values, finding.weaker
            else:
                (path, params), weaker = finding, None
            english = {k: _english(v) for k, v in params.items()}
            try:
                message = rule.message.format(**english)
                template = message_id(rule.message)
            except (KeyError, IndexError, ValueError) as exc:
                raise ConventionDataError(
                    "rules.yaml", f"rule {rule.id!r}: message template cannot be filled: {exc}"
                ) from None
            yield Problem(
                path=path,
                message=message,
                template=template,
                values=params,
                article=weaker.article if weaker else str(rule.article),
                severity=rule.severity,
                confidence=weaker.confidence if weaker else rule.confidence,
                basis=rule.basis,
                rule=rule.id,
            )


def _english(value: Value) -> str | int | float:
    """A value as the English message says it: a term's English, a date in ISO 8601."""
    if isinstance(value, Term):
        return value.english()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _offences(context: _Context) -> list[OffenceItem]:
    return list(getattr(context.doc, "offences", []))


@_rule("states-differ")
def _states_differ(context: _Context) -> Iterator[Finding]:
    doc = context.doc
    if doc.requesting_state and doc.requesting_state == doc.requested_state:
        yield "requested_state", {"state": doc.requested_state}


@_rule("date-not-future")
def _date_not_future(context: _Context) -> Iterator[Finding]:
    when = context.doc.date_of_request
    if when is not None and when > context.today:
        yield "date_of_request", {"date": when, "today": context.today}


def _label(context: _Context, name: str) -> Term:
    """A top-level field's form label, as messages name it (officers read labels, not
    paths)."""
    title = type(context.doc).model_fields[name].title
    return Term(message=title if title else name.replace("_", " ").capitalize())


@_rule("period-order")
def _period_order(context: _Context) -> Iterator[Finding]:
    for name in type(context.doc).model_fields:
        period = getattr(context.doc, name)
        if not isinstance(period, Period) or period.start is None or period.end is None:
            continue
        if period.start > period.end:
            yield (
                f"{name}.start",
                {
                    "field": _label(context, name),
                    "start": period.start,
                    "end": period.end,
                },
            )


@_rule("deadline-not-past")
def _deadline_not_past(context: _Context) -> Iterator[Finding]:
    # Today itself is still a deadline one can meet.
    when = context.doc.deadline
    if when is not None and when < context.today:
        yield (
            "deadline",
            {
                "field": _label(context, "deadline"),
                "date": when,
                "today": context.today,
            },
        )


@_rule("collection-not-past")
def _collection_not_past(context: _Context) -> Iterator[Finding]:
    period = context.doc.collection_period
    if period is not None and period.end is not None and period.end < context.today:
        yield (
            "collection_period.end",
            {
                "field": _label(context, "collection_period"),
                "end": period.end,
                "today": context.today,
            },
        )


@_rule("offence-code-known")
def _offence_code_known(context: _Context) -> Iterator[Finding]:
    codes = {o.code for o in context.convention.offences}
    for index, offence in enumerate(_offences(context)):
        if offence.code and offence.code not in codes:
            yield f"offences.{index}.code", {"code": offence.code, "codes": ", ".join(codes)}


@_rule("offence-optional-element-known")
def _optional_element_known(context: _Context) -> Iterator[Finding]:
    by_code = {o.code: o for o in context.convention.offences}
    for index, item in enumerate(_offences(context)):
        offence = by_code.get(item.code or "")
        if offence is None:
            continue  # unknown codes are reported by offence-code-known
        valid = [e.id for e in offence.optional_elements]
        for position, element in enumerate(item.optional_elements):
            if element not in valid:
                yield (
                    f"offences.{index}.optional_elements.{position}",
                    {
                        "element": element,
                        "code": offence.code,
                        "valid": ", ".join(valid) if valid else Term(message=_NONE),
                    },
                )


@_rule("serious-crime-penalty")
def _serious_crime_penalty(context: _Context) -> Iterator[Finding]:
    by_code = {o.code: o for o in context.convention.offences}
    for index, item in enumerate(_offences(context)):
        offence = by_code.get(item.code or "")
        if offence is None or offence.minimum_max_penalty_years is None:
            continue
        penalty = item.maximum_penalty_years
        if penalty is None or penalty < offence.minimum_max_penalty_years:
            given = (
                Term(message=_NO_PENALTY)
                if penalty is None
                else Term(message=_YEARS, values={"years": penalty})
            )
            yield (
                f"offences.{index}.maximum_penalty_years",
                {
                    "code": offence.code,
                    "minimum": offence.minimum_max_penalty_years,
                    "given": given,
                },
            )


@_rule("data-category-fits")
def _data_category_fits(context: _Context) -> Iterator[Finding]:
    access = context.instrument.data_access
    if access is None:
        return
    items: list[DataItem] = list(getattr(context.doc, "data_items", []))
    for index, item in enumerate(items):
        if item.category is None or item.category in context.instrument.data_categories:
            continue
        category = context.convention.data_category(item.category)
        alternatives = category.instruments_for(access)
        advice = (
            Term(message=_USE_INSTEAD, values={"kinds": " or ".join(alternatives)})
            if alternatives
            else Term(
                message=_NO_INSTRUMENT,
                values={"access": access, "category": category.title.lower()},
            )
        )
        yield (
            f"data_items.{index}.category",
            {
                "category": Term(message=category.title),
                "access": access,
                "kind": context.kind,
                "advice": advice,
            },
        )


@_rule("preservation-mla-follows")
def _preservation_mla_follows(context: _Context) -> Iterator[Finding]:
    if context.doc.mla_to_follow is False:
        yield "mla_to_follow", {}


@_rule("preservation-minimum-period")
def _preservation_minimum_period(context: _Context) -> Iterator[Finding]:
    days = context.doc.preservation_days
    minimum = next(
        (r.days for r in context.instrument.time_rules if r.id == "preservation-minimum-period"),
        None,
    )
    if days is not None and minimum is not None and days < minimum:
        yield "preservation_days", {"days": days, "minimum": minimum}


@_rule("requested-state-known")
def _requested_state_known(context: _Context) -> Iterator[Finding]:
    code = context.doc.requested_state
    if code and context.directory.state(code) is None:
        yield "requested_state", {"state": code}


def _request_states(context: _Context) -> tuple[str, str] | None:
    doc = context.doc
    requesting, requested = doc.requesting_state, doc.requested_state
    if not requesting or not requested or requesting == requested:
        return None  # missing States, or the same twice, are other problems
    return requesting, requested


def _request_day(context: _Context) -> date:
    """The day a request is checked for: its date, else today."""
    when = context.doc.date_of_request
    return when if isinstance(when, date) else context.today


def _weaker(article: str, confidence: Confidence) -> Weaker | None:
    """What a date rests on, if less than Art. 65(1) confirmed (the rules' own)."""
    if (article, confidence) == ("Art. 65(1)", "confirmed"):
        return None
    return Weaker(article, confidence)


@_rule("convention-binds-later")
def _convention_binds_later(context: _Context) -> Iterator[Found]:
    pair = _request_states(context)
    if pair is None:
        return
    day = _request_day(context)
    for path, code in zip(("requesting_state", "requested_state"), pair, strict=True):
        binding = context.bound(code, day)
        later = binding.next_period
        if binding.bound or later is None or later.start.on is None:
            continue
        values: dict[str, Value] = {
            "requesting": pair[0],
            "requested": pair[1],
            "date": day,
            "state": code,
            "from_date": later.start.on,
        }
        yield Found(path, values, _weaker(later.start.rule, later.start.confidence))


@_rule("convention-not-binding")
def _convention_not_binding(context: _Context) -> Iterator[Found]:
    pair = _request_states(context)
    if pair is None:
        return
    day = _request_day(context)
    tl = context.timeline
    for path, code in zip(("requesting_state", "requested_state"), pair, strict=True):
        binding = context.bound(code, day)
        if binding.bound or binding.next_period is not None:
            continue  # bound, or bound later on a known date (convention-binds-later)
        mine = [e for e in tl.of_state(code) if e.on <= day]
        in_effect = False
        denounced = False
        for event in mine:
            if event.kind in CONSENT:
                in_effect, denounced = True, False
            elif event.kind is ActionKind.DENUNCIATION:
                in_effect, denounced = False, True
        values: dict[str, Value] = {"requesting": pair[0], "requested": pair[1], "date": day}
        if denounced:
            values |= {"state": code, "reason": Term(message=_DENOUNCED)}
            yield Found(path, values, Weaker("Art. 67", "unconfirmed"))
        elif in_effect and convention_entry_into_force(tl).on is None:
            counted = counted_instruments(tl, day)
            reason = Term(
                message=_TOO_FEW_INSTRUMENTS,
                values={"counted": counted, "needed": INSTRUMENTS_NEEDED},
            )
            yield Found(path, values | {"state": code, "reason": reason})
        elif not in_effect:
            reason = Term(message=_NO_INSTRUMENT_DEPOSITED)
            yield Found(path, values | {"state": code, "reason": reason})


def _in_force(context: _Context, code: str, kind: ActionKind, day: date) -> list[Action]:
    """The rows of ``kind`` (reservation or declaration) the record holds for ``code`` that
    are in effect on ``day``: made by then and, for a reservation, not withdrawn by then.
    Only rows naming an article: a declaration of a central authority touches no offence."""
    state = context.treaty.state(code)
    if state is None:
        return []
    withdrawn = {
        (a.article, a.paragraph): a.date
        for a in state.sorted_actions()
        if a.kind is ActionKind.RESERVATION_WITHDRAWAL and a.date <= day
    }
    return [
        a
        for a in state.sorted_actions()
        if a.kind is kind
        and a.article is not None
        and a.date <= day
        and not (
            kind is ActionKind.RESERVATION
            and withdrawn.get((a.article, a.paragraph), date.min) >= a.date
        )
    ]


def _offence_provisions(context: _Context, kind: ActionKind) -> Iterator[Found]:
    """One finding per offence of the request and row of ``kind`` of the requested State,
    in effect on the request's day, under the article the offence is defined in (Art.
    11(3) beside an offence under Art. 11). A row under an article no offence cites (Art.
    63(3), dispute settlement) touches no element and is not shown. Each finding names the
    row's own provision and confidence."""
    code = context.doc.requested_state
    if not code:
        return
    day = _request_day(context)
    rows = _in_force(context, code, kind, day)
    if not rows:
        return
    by_code = {o.code: o for o in context.convention.offences}
    for index, item in enumerate(_offences(context)):
        offence = by_code.get(item.code or "")
        if offence is None:
            continue  # unknown codes are reported by offence-code-known
        for action in rows:
            if action.article != offence.article.article:
                continue
            provision = action.provision or f"Art. {action.article}"
            values: dict[str, Value] = {
                "state": code,
                "provision": provision,
                "date": action.date,
                "source": action.source,
            }
            yield Found(f"offences.{index}.code", values, Weaker(provision, action.confidence))


@_rule("offence-reservation")
def _offence_reservation(context: _Context) -> Iterator[Found]:
    return _offence_provisions(context, ActionKind.RESERVATION)


@_rule("offence-declaration")
def _offence_declaration(context: _Context) -> Iterator[Found]:
    return _offence_provisions(context, ActionKind.DECLARATION)


@_rule("language-accepted")
def _language_accepted(context: _Context) -> Iterator[Finding]:
    code, language = context.doc.requested_state, context.doc.language
    if not code or not language or context.directory.state(code) is None:
        return
    accepted = context.directory.acceptable_languages(code)
    if language not in accepted:
        yield "language", {"state": code, "language": language, "languages": ", ".join(accepted)}


IMPLEMENTED_RULES = frozenset(_RULES)

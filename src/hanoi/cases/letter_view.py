"""The language-resolved view of a request letter: what ``templates/letter_sheet.html`` draws.

``build_letter`` walks a request document against its instrument in the Convention data and
returns a ``Letter``: one section per element of the instrument, in the Convention's element
order, every label already translated and every value already formatted in the letter's
language. It is pure: no template, no file, no network; ``render.py`` draws and prints it.

Labels and fixed wording are translated; what the officer typed is never altered, only
escaped by the template.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from hanoi.cases.check import check_document
from hanoi.cases.documents import Period, document_model, unwrap_optional
from hanoi.cases.letter_language import (
    RTL_LANGUAGES,
    RenderError,
    check_language,
    format_locale,
    html_lang,
    is_unofficial,
    load_translations,
)
from hanoi.convention import Convention, Element, Instrument, get_convention
from hanoi.convention.names import convention_messages
from hanoi.directory.fixture import load_fixture_directory
from hanoi.directory.states import StateDirectory

__all__ = ["Entry", "Letter", "Node", "Party", "Section", "build_letter", "letter_messages"]

#: The checker's rules that say the Convention does not bind both States of a request.
NOT_BINDING_RULES = frozenset({"convention-binds-later", "convention-not-binding"})

SUBJECT_CONTEXT = "subject"
"""Catalogue context of the subject-line phrase for each instrument title."""
STYLESHEET = "letter.css"

# Fields drawn in the letterhead, the notices or the subject rather than as sections.
_LETTERHEAD_FIELDS = frozenset(
    {"kind", "requesting_authority", "urgent", "confidential", "do_not_notify_user"}
)
# Fields holding ISO codes that read better as names.
_STATE_FIELDS = frozenset({"requesting_state", "requested_state", "nationality"})
_LANGUAGE_FIELDS = frozenset({"language"})
_OFFENCE_CODE_FIELD = "code"

# Which authority of the requested State a letter is addressed to, by the instrument's
# first (preferred) channel. Other channels go to the State's competent authorities.
_ADDRESSEE_BY_CHANNEL = {
    "point_of_contact_24_7": "point_of_contact_24_7",
    "central_authority": "central_authority",
}

# --- the view the template draws ------------------------------------------------------------

NodeKind = Literal["text", "items", "entries", "missing", "not_applicable"]


@dataclass(frozen=True)
class Node:
    """A formatted value: text, a bullet list, a definition list, or an explicit gap.

    Gaps are values of their own (``missing``: the element is required and empty;
    ``not_applicable``: a conditional element whose condition does not hold) so the
    template cannot forget to show them.
    """

    kind: NodeKind
    text: str = ""
    items: tuple[Node, ...] = ()
    entries: tuple[Entry, ...] = ()

    @property
    def is_gap(self) -> bool:
        return self.kind in ("missing", "not_applicable")


@dataclass(frozen=True)
class Entry:
    """One term of a definition list; ``article`` is set where an element of the
    Convention asks for this very field."""

    label: str
    value: Node
    article: str = ""
    unconfirmed: bool = False


MISSING = Node("missing")
NOT_APPLICABLE = Node("not_applicable")


@dataclass(frozen=True)
class Section:
    number: int
    heading: str
    article: str
    unconfirmed: bool
    value: Node


@dataclass(frozen=True)
class Party:
    name: str
    address: str = ""
    contact_name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Letter:
    """The whole letter. ``html_lang`` and ``direction`` go on the page's root;
    ``unofficial_translation`` is set when the fixed wording comes from a catalogue not yet
    checked against an authentic text (the letter then says so in a footnote)."""

    lang: str
    html_lang: str
    direction: Literal["ltr", "rtl"]
    unofficial_translation: bool
    subject: str
    date: str
    reference: str
    requesting_state: str
    requested_state: str
    authority: Party
    addressee: str
    urgent: bool
    confidential: bool
    do_not_notify: bool
    sections: tuple[Section, ...]
    further: tuple[Entry, ...]
    missing_required: int
    warnings: int
    any_unconfirmed: bool
    css: Markup = field(repr=False, default=Markup(""))
    convention_binds: bool = True
    """False when the depositary record shows the Convention not binding both States on
    the request's date: the letter then cites the Convention as the model of its contents,
    not as its legal basis (:data:`NOT_BINDING_RULES`)."""


@functools.cache
def _stylesheet() -> Markup:
    """The letter's CSS, inlined so the HTML file stands alone and WeasyPrint fetches nothing."""
    text = resources.files("hanoi.cases").joinpath("templates", STYLESHEET).read_text("utf-8")
    return Markup(text)  # noqa: S704 - our own packaged stylesheet, not user input


def letter_messages(convention: Convention | None = None) -> list[tuple[str | None, str]]:
    """Every message id of the ``letters`` catalogue a letter may look up at run time,
    besides the template's own.

    These are data (field titles, choice values, subject lines), so ``pybabel extract``
    cannot see them; the tests use this list to prove each supported language translates
    all of them. Each is ``(context, message id)``. The names of the Convention data
    (element labels, offence names, data category titles...) are the ``convention``
    catalogue's (``convention_messages()``), so a field title or choice value spelled like
    one of them is left out here: the letter finds it there.
    """
    convention = convention or get_convention()
    names = set(convention_messages(convention))
    messages: dict[tuple[str | None, str], None] = {}
    for instrument in convention.instruments.values():
        messages[(SUBJECT_CONTEXT, instrument.title)] = None
        for model in _models_under(document_model(instrument.kind)):
            for name, info in model.model_fields.items():
                if name == "kind":
                    continue  # the subject line names the instrument
                messages[(None, _title(name, info))] = None
                for choice in _choices(info.annotation):
                    messages[(None, _humanize(choice))] = None
    return [message for message in messages if message not in names]


def _models_under(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    yield model
    for info in model.model_fields.values():
        inner = _item_type(unwrap_optional(info.annotation))
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _models_under(inner)


# --- building the view ----------------------------------------------------------------------


def build_letter(doc: BaseModel, lang: str, *, directory: StateDirectory | None = None) -> Letter:
    """The language-resolved view of ``doc``; ``render_html`` draws it."""
    check_language(lang)
    kind = getattr(doc, "kind", None)
    convention = get_convention()
    if not isinstance(kind, str) or kind not in convention.instruments:
        raise RenderError("not a request document: it has no known 'kind'")
    if not isinstance(doc, document_model(kind)):
        raise RenderError(f"not a request document of kind {kind!r}")
    builder = _Builder(doc, lang, convention.instrument(kind), convention, directory)
    return builder.letter()


class _Builder:
    """Walks one document against its instrument, formatting as it goes."""

    def __init__(
        self,
        doc: BaseModel,
        lang: str,
        instrument: Instrument,
        convention: Convention,
        directory: StateDirectory | None = None,
    ) -> None:
        self.doc = doc
        self.lang = lang
        self.locale = format_locale(lang)
        self.instrument = instrument
        self.convention = convention
        self.directory = directory if directory is not None else load_fixture_directory()
        translations = load_translations(lang)
        self._ = translations.gettext
        self.pgettext = translations.pgettext
        report = check_document(doc, directory=self.directory)
        element_ids = {element.id for element in instrument.elements}
        # Concrete paths (``data_items.2.custodian``) the checker found empty and required.
        self.missing_paths = {p.path for p in report.problems if p.rule in element_ids}
        self.missing_required = sum(
            1 for p in report.problems if p.rule in element_ids and p.severity == "error"
        )
        self.warnings = sum(1 for p in report.problems if p.severity == "warning")
        self.convention_binds = not any(p.rule in NOT_BINDING_RULES for p in report.problems)

    # -- the letter as a whole --

    def letter(self) -> Letter:
        doc = self.doc
        authority = getattr(doc, "requesting_authority", None)
        sections = tuple(self._sections())
        requested_code = getattr(doc, "requested_state", None)
        return Letter(
            lang=self.lang,
            html_lang=html_lang(self.lang),
            direction="rtl" if self.lang in RTL_LANGUAGES else "ltr",
            unofficial_translation=is_unofficial(self.lang),
            subject=self._subject(),
            date=self._date(getattr(doc, "date_of_request", None)),
            reference=getattr(doc, "reference", None) or "",
            requesting_state=self._state_name(getattr(doc, "requesting_state", None)),
            requested_state=self._state_name(requested_code),
            authority=Party(
                name=getattr(authority, "name", None) or "",
                address=getattr(authority, "address", None) or "",
                contact_name=getattr(authority, "contact_name", None) or "",
                email=getattr(authority, "email", None) or "",
                phone=getattr(authority, "phone", None) or "",
            ),
            addressee=self._addressee(requested_code),
            urgent=bool(getattr(doc, "urgent", False)),
            confidential=bool(getattr(doc, "confidential", False)),
            do_not_notify=bool(getattr(doc, "do_not_notify_user", False)),
            sections=sections,
            further=tuple(self._further()),
            missing_required=self.missing_required,
            warnings=self.warnings,
            any_unconfirmed=any(s.unconfirmed for s in sections),
            css=_stylesheet(),
            convention_binds=self.convention_binds,
        )

    def _subject(self) -> str:
        # The noun phrase comes from the catalogue under the "subject" context so each
        # language can phrase "request for ..." (or "transmission of ...") naturally.
        phrase = self.pgettext(SUBJECT_CONTEXT, self.instrument.title)
        if not self.convention_binds:
            # Not both bound on the request's date: the Convention is the model, not the basis.
            return self._(
                "%(request)s, modelled on Article %(article)s of the United Nations Convention "
                "against Cybercrime"
            ) % {"request": phrase, "article": self.instrument.article.article}
        return self._(
            "%(request)s under Article %(article)s of the United Nations Convention against "
            "Cybercrime"
        ) % {"request": phrase, "article": self.instrument.article.article}

    def _date(self, value: object) -> str:
        return (
            format_date(value, format="long", locale=self.locale) if isinstance(value, date) else ""
        )

    def _state_name(self, code: object) -> str:
        if not isinstance(code, str) or not code:
            return ""
        info = self.directory.state(code)
        return f"{info.name} ({code})" if info is not None else code

    def _addressee(self, code: object) -> str:
        info = self.directory.state(code) if isinstance(code, str) else None
        role = _ADDRESSEE_BY_CHANNEL.get(self.instrument.channels[0])
        if info is not None and role is not None:
            name: str = getattr(info, role)
            return name
        state = self._state_name(code) or self._("the requested State")
        return self._("Competent authorities of %(state)s") % {"state": state}

    # -- sections, one per element --

    def _sections(self) -> Iterator[Section]:
        """One section per element in the Convention's order.

        An element on list items (``offences.*.code``) is drawn inside the section of its
        list (``offences``) as a labelled term of each item, so a reader sees each offence
        whole; if the list itself is not an element, the first such item element opens a
        section for the list, headed by the document's title for it.
        """
        elements = self.instrument.elements
        fields = {e.field for e in elements}
        emitted_lists: set[str] = set()
        number = 0
        for element in elements:
            head, star, _rest = element.field.partition(".*.")
            if star:
                if head in fields or head in emitted_lists:
                    continue  # drawn inside the section of its list
                emitted_lists.add(head)
                children = [e for e in elements if e.field.startswith(head + ".*.")]
                number += 1
                yield Section(
                    number=number,
                    heading=self._(self._field_title(head)),
                    article=str(element.article),
                    unconfirmed=element.confidence != "confirmed",
                    value=self._list_value(head, element, children),
                )
                continue
            children = [e for e in elements if e.field.startswith(element.field + ".*.")]
            value = (
                self._list_value(element.field, element, children)
                if children
                else self._element_value(element)
            )
            number += 1
            yield Section(
                number=number,
                heading=self._(element.label),
                article=str(element.article),
                unconfirmed=element.confidence != "confirmed",
                value=value,
            )

    def _element_value(self, element: Element) -> Node:
        parts = element.field.split(".")
        value: object = self.doc
        for part in parts:
            value = getattr(value, part, None)
        node = self._value(value, parts[-1], _field_info(self.doc, parts))
        return self._gap(node, element.field)

    def _gap(self, node: Node | None, path: str) -> Node:
        if node is not None:
            return node
        return MISSING if path in self.missing_paths else NOT_APPLICABLE

    def _list_value(self, list_field: str, parent: Element, children: list[Element]) -> Node:
        """A list whose items carry elements of their own: each item a definition list
        with the elements' labels first (in Convention order), then the item's other
        non-empty fields under their form titles."""
        items = getattr(self.doc, list_field, None) or []
        if not items:
            # Still name what each item would have needed, so the gap is specific.
            gap = self._gap(None, list_field)
            if not children:
                return gap
            placeholder = tuple(self._child_entry(child, parent, gap) for child in children)
            return Node("entries", entries=placeholder)
        nodes: list[Node] = []
        for index, item in enumerate(items):
            entries: list[Entry] = []
            used: set[str] = set()
            for child in children:
                name = child.field.rsplit(".", 1)[-1]
                used.add(name)
                node = self._value(getattr(item, name, None), name, _model_field(item, name))
                gap = self._gap(node, f"{list_field}.{index}.{name}")
                entries.append(self._child_entry(child, parent, gap))
            if isinstance(item, BaseModel):
                entries.extend(self._model_entries(item, skip=used))
                nodes.append(Node("entries", entries=tuple(entries)))
            else:
                nodes.append(self._value(item, list_field, None) or MISSING)
        return Node("items", items=tuple(nodes))

    def _child_entry(self, child: Element, parent: Element, value: Node) -> Entry:
        # Repeat the article only where it differs from the section's, to keep it readable.
        article = str(child.article)
        same = article == str(parent.article)
        return Entry(
            label=self._(child.label),
            value=value,
            article="" if same else article,
            unconfirmed=not same and child.confidence != "confirmed",
        )

    def _further(self) -> Iterator[Entry]:
        """Filled-in fields no element asks for (deadlines, persons, time spans...).

        They are not required by the Convention, but the officer wrote them for the
        requested State to read, so the letter must not drop them.
        """
        element_paths = [e.field for e in self.instrument.elements]
        for name, info in type(self.doc).model_fields.items():
            if name in _LETTERHEAD_FIELDS:
                continue
            if any(p == name or p.startswith(name + ".*.") for p in element_paths):
                continue
            value = getattr(self.doc, name, None)
            covered = {p.split(".")[1] for p in element_paths if p.startswith(name + ".")}
            if covered and isinstance(value, BaseModel):
                entries = tuple(self._model_entries(value, skip=covered))
                if entries:
                    yield Entry(self._(_title(name, info)), Node("entries", entries=entries))
                continue
            node = self._value(value, name, info)
            if node is not None:
                yield Entry(self._(_title(name, info)), node)

    # -- values --

    def _model_entries(
        self, model: BaseModel, skip: set[str] | frozenset[str] = frozenset()
    ) -> Iterator[Entry]:
        for name, info in type(model).model_fields.items():
            if name in skip:
                continue
            node = self._value(getattr(model, name, None), name, info)
            if node is not None:
                yield Entry(self._(_title(name, info)), node)

    def _value(self, value: object, name: str, info: FieldInfo | None) -> Node | None:
        """Format one value, or ``None`` if it is empty (the caller decides what a gap means).

        Free text is returned exactly as typed; only choices, codes, dates, numbers and
        yes/no answers are put into the letter's language.
        """
        if value is None:
            return None
        if isinstance(value, bool):
            return Node("text", text=self._("Yes") if value else self._("No"))
        if isinstance(value, str):
            if not value.strip():
                return None
            return Node("text", text=self._text(value, name, info))
        if isinstance(value, int | float):
            return Node("text", text=format_decimal(value, locale=self.locale))
        if isinstance(value, date):
            return Node("text", text=self._date(value))
        if isinstance(value, Period):
            return self._period(value)
        if isinstance(value, BaseModel):
            entries = tuple(self._model_entries(value))
            return Node("entries", entries=entries) if entries else None
        if isinstance(value, list | tuple):
            nodes = [n for n in (self._value(v, name, None) for v in value) if n is not None]
            return Node("items", items=tuple(nodes)) if nodes else None
        return Node("text", text=str(value))

    def _period(self, period: Period) -> Node | None:
        """A period reads as one phrase ("From 1 August 2026 to 27 November 2026")."""
        start, end = self._date(period.start), self._date(period.end)
        if start and end:
            text = self._("From %(start)s to %(end)s") % {"start": start, "end": end}
        elif start:
            text = self._("From %(start)s") % {"start": start}
        elif end:
            text = self._("Until %(end)s") % {"end": end}
        else:
            return None
        return Node("text", text=text)

    def _text(self, value: str, name: str, info: FieldInfo | None) -> str:
        if name in _STATE_FIELDS:
            return self._state_name(value)
        if name in _LANGUAGE_FIELDS:
            return _language_name(value, self.lang)
        if name == _OFFENCE_CODE_FIELD:
            return self._offence(value)
        if info is not None and value in _choices(info.annotation):
            return self._(_humanize(value))
        return value

    def _offence(self, code: str) -> str:
        for offence in self.convention.offences:
            if offence.code == code:
                return f"{code} — {self._(offence.name)} ({offence.article})"
        return code

    def _field_title(self, name: str) -> str:
        info = type(self.doc).model_fields.get(name)
        return _title(name, info) if info is not None else _humanize(name)


# --- small helpers ----------------------------------------------------------------------------


def _title(name: str, info: FieldInfo | None) -> str:
    if info is not None and info.title:
        return info.title
    return _humanize(name)


def _humanize(code: str) -> str:
    """``traffic_data`` -> ``Traffic data``: the message id for a choice value."""
    text = code.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def _language_name(code: str, lang: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(lang)
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def _field_info(doc: BaseModel, parts: list[str]) -> FieldInfo | None:
    model: object = type(doc)
    info: FieldInfo | None = None
    for part in parts:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = unwrap_optional(info.annotation)
    return info


def _model_field(item: object, name: str) -> FieldInfo | None:
    return type(item).model_fields.get(name) if isinstance(item, BaseModel) else None


def _item_type(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (list, tuple):
        args = typing.get_args(annotation)
        return args[0] if args else annotation
    return annotation


def _choices(annotation: Any) -> tuple[str, ...]:
    """The string values of a ``Literal`` field (also inside ``X | None``)."""
    inner = unwrap_optional(annotation)
    if typing.get_origin(inner) is Literal:
        return tuple(a for a in typing.get_args(inner) if isinstance(a, str))
    return ()

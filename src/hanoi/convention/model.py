"""Frozen models for the Convention as data.

Everything a legal reviewer may want to correct (wording, article references, severity,
confidence) lives in the YAML files under ``data/``; these models only fix the *shape* of
that data so a typo fails loudly at load time instead of silently weakening a check.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from hanoi.convention.errors import (
    UnknownEntryError,
    UnknownInstrumentError,
)

Confidence = Literal["confirmed", "unconfirmed"]
"""``confirmed``: checked against a published or authentic text (digest tags V, V-ar).
``unconfirmed``: recalled or borrowed from the Budapest Convention (digest tags R, B)."""

Severity = Literal["error", "warning"]
Basis = Literal["convention", "platform"]
"""Whether a requirement comes from the treaty or is a rule of this platform."""

ChapterNumeral = Literal["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]
Relevance = Literal["none", "data", "workflow", "security"]
Channel = Literal[
    "central_authority",
    "point_of_contact_24_7",
    "diplomatic",
    "interpol",
    "extradition_authority",
    "police",
]
DualCriminalityRequirement = Literal["not_required", "may_be_required", "required"]
DataCategoryId = Literal["subscriber_information", "traffic_data", "content_data"]
DataAccess = Literal["stored", "live"]
InstrumentKind = Literal[
    "preservation",
    "traffic-disclosure",
    "mla",
    "mla-stored-data",
    "realtime-traffic",
    "interception",
    "extradition",
    "police-information",
    "spontaneous-information",
    "confiscation",
]

KINDS: tuple[str, ...] = typing.get_args(InstrumentKind)
"""Every request kind, in the order the platform presents them."""

ARTICLE_COUNT = 68

CHAPTERS: Mapping[str, tuple[str, int, int]] = MappingProxyType(
    {
        "I": ("General provisions", 1, 6),
        "II": ("Criminalization", 7, 21),
        "III": ("Jurisdiction", 22, 22),
        "IV": ("Procedural measures and law enforcement", 23, 34),
        "V": ("International cooperation", 35, 52),
        "VI": ("Preventive measures", 53, 53),
        "VII": ("Technical assistance and information exchange", 54, 56),
        "VIII": ("Mechanism of implementation", 57, 58),
        "IX": ("Final provisions", 59, 68),
    }
)
"""Chapter numeral -> (title, first article, last article). Kept in code, not in the data
files, because it is the yardstick the article data is validated against."""

_ID = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
_FIELD_PATH = r"^[a-z_][a-z0-9_]*(?:\.(?:[a-z_][a-z0-9_]*|\*))*$"
_REF_RE = re.compile(r"^(?:Art\.\s*)?(\d{1,3})(?:\((\d{1,2})\))?(?:\(([a-z]{1,4})\))?$")

LETTERED_ARTICLES: frozenset[int] = frozenset({2})
"""Articles whose lettered items stand directly under the article, with no paragraph
(Art. 2, Use of terms: ``Art. 2(h)``). Everywhere else a letter belongs to a paragraph, so a
citation such as ``Art. 40(a)`` is incomplete and refused."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Sourced(_Frozen):
    """An entry with a ``confidence``: one that says ``confirmed`` must name its ``source``
    (a URL or a document reference), so a reviewer can check what it was confirmed against.
    Subclasses declare both fields, where they read best in the data."""

    @model_validator(mode="after")
    def _confirmed_has_source(self) -> _Sourced:
        confidence = getattr(self, "confidence", None)
        source = getattr(self, "source", None)
        if confidence == "confirmed" and not (source and source.strip()):
            raise ValueError(
                "'confirmed' needs a 'source': the URL or document it was checked against"
            )
        return self


Source = Annotated[str, Field(min_length=1, pattern=r"\S")]
"""Where a fact was checked: a URL or a document reference (e.g. a depositary notification)."""


class ArticleRef(_Frozen):
    """A pointer into the Convention, e.g. ``Art. 42(3)(c)``.

    In the data files and in JSON it is written as that string, which is what a reviewer
    reads and types; the parts stay available for linking.
    """

    article: int = Field(ge=1, le=ARTICLE_COUNT)
    paragraph: int | None = Field(default=None, ge=1)
    letter: str | None = Field(default=None, pattern=r"^[a-z]{1,4}$")

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"article": value}
        if isinstance(value, str):
            match = _REF_RE.match(value.strip())
            if match is None:
                raise ValueError(f"article reference {value!r} is not like 'Art. 42(3)(c)'")
            number, paragraph, letter = match.groups()
            return {
                "article": int(number),
                "paragraph": int(paragraph) if paragraph else None,
                "letter": letter,
            }
        return value

    @model_validator(mode="after")
    def _letter_has_paragraph(self) -> ArticleRef:
        if (
            self.letter is not None
            and self.paragraph is None
            and self.article not in LETTERED_ARTICLES
        ):
            raise ValueError(
                f"{self} cites a letter without its paragraph; "
                f"write it as 'Art. {self.article}(<paragraph>)({self.letter})'"
            )
        return self

    @model_serializer
    def _as_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        text = f"Art. {self.article}"
        if self.paragraph is not None:
            text += f"({self.paragraph})"
        if self.letter is not None:
            text += f"({self.letter})"
        return text


class Paragraph(_Sourced):
    """What one paragraph of an article says (our paraphrase), where the platform relies on
    the paragraph itself: its number and its content may be confirmed separately from the
    article's."""

    number: int = Field(ge=1)
    summary: str = Field(min_length=1)
    confidence: Confidence
    source: Source | None = None


class Article(_Sourced):
    """One of the 68 articles, with a one-line paraphrase in our own words.

    ``confidence`` covers the number, title and summary; a summary marked ``confirmed``
    must rest only on what was confirmed. ``paragraphs`` records paragraph-level facts,
    each with its own confidence."""

    number: int = Field(ge=1, le=ARTICLE_COUNT)
    title: str = Field(min_length=1)
    chapter: ChapterNumeral
    summary: str = Field(min_length=1)
    relevance: tuple[Relevance, ...] = Field(min_length=1)
    confidence: Confidence
    source: Source | None = None
    paragraphs: tuple[Paragraph, ...] = ()

    @model_validator(mode="after")
    def _paragraphs_in_order(self) -> Article:
        numbers = [p.number for p in self.paragraphs]
        if numbers != sorted(set(numbers)):
            raise ValueError("paragraphs must be listed once each, in ascending order")
        return self

    def paragraph(self, number: int) -> Paragraph | None:
        """The recorded facts about paragraph ``number``, if any."""
        return next((p for p in self.paragraphs if p.number == number), None)


class OffenceElement(_Frozen):
    """An optional or qualifying element a State may add to an offence (matters for dual
    criminality: the request says which ones are present)."""

    id: str = Field(pattern=_ID)
    text: str = Field(min_length=1)


class Offence(_Sourced):
    """An entry of the offence code list (UNCC-xx)."""

    code: str = Field(pattern=r"^UNCC-[0-9A-Z]{2}$")
    article: ArticleRef
    related: tuple[ArticleRef, ...] = ()
    name: str = Field(min_length=1)
    core_elements: tuple[str, ...] = Field(min_length=1)
    optional_elements: tuple[OffenceElement, ...] = ()
    minimum_max_penalty_years: int | None = Field(default=None, ge=0)
    """If set, the offence only qualifies when its maximum penalty is at least this many
    years (serious crime, Art. 2(h))."""
    confidence: Confidence
    source: Source | None = None


class DataCategory(_Sourced):
    """A category of electronic data (Art. 2) and the instruments that may ask for it."""

    id: DataCategoryId
    title: str = Field(min_length=1)
    article: ArticleRef
    definition: str = Field(min_length=1)
    stored: tuple[InstrumentKind, ...] = ()
    """Instruments that may ask for data of this category already stored."""
    live: tuple[InstrumentKind, ...] = ()
    """Instruments that may ask for data of this category collected in real time."""
    confidence: Confidence
    source: Source | None = None

    def instruments_for(self, access: DataAccess) -> tuple[InstrumentKind, ...]:
        return self.stored if access == "stored" else self.live


class Ground(_Sourced):
    """A ground for refusing or postponing a request."""

    id: str = Field(pattern=_ID)
    text: str = Field(min_length=1)
    article: ArticleRef
    confidence: Confidence
    source: Source | None = None
    note: str = ""


class Condition(_Frozen):
    """A test on one top-level document field, e.g. ``assistance_type == service_of_documents``."""

    field: str = Field(pattern=_FIELD_PATH)
    equals: bool | int | str


class Element(_Sourced):
    """Something a request of one kind must contain, with where the duty comes from.

    ``field`` is a dotted path into the request document; ``*`` stands for every item of a
    list, so ``data_items.*.description`` checks each data item. An element with ``when`` is
    only required if the condition holds; one with ``unless`` is required except when it holds.

    ``basis`` has no default: every element says whether the treaty text asks for it
    (``convention``) or the platform does (``platform``, citing the article it serves).
    """

    id: str = Field(pattern=_ID)
    field: str = Field(pattern=_FIELD_PATH)
    label: str = Field(min_length=1)
    article: ArticleRef
    confidence: Confidence
    source: Source | None = None
    severity: Severity = "error"
    basis: Basis
    when: Condition | None = None
    unless: Condition | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Element:
        if self.when is not None and self.unless is not None:
            raise ValueError("an element may have 'when' or 'unless', not both")
        return self

    @property
    def conditional(self) -> bool:
        return self.when is not None or self.unless is not None


class TimeRule(_Sourced):
    """A time limit attached to an instrument."""

    id: str = Field(pattern=_ID)
    text: str = Field(min_length=1)
    article: ArticleRef
    confidence: Confidence
    source: Source | None = None
    basis: Basis = "convention"
    days: int | None = Field(default=None, ge=1)
    hours: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _has_duration(self) -> TimeRule:
        if self.days is None and self.hours is None:
            raise ValueError("a time rule needs 'days' or 'hours'")
        return self


class DualCriminality(_Sourced):
    requirement: DualCriminalityRequirement
    article: ArticleRef
    confidence: Confidence
    source: Source | None = None
    note: str = ""


class Instrument(_Frozen):
    """A kind of request (or communication) the Convention provides for."""

    kind: InstrumentKind
    title: str = Field(min_length=1)
    article: ArticleRef
    related: tuple[ArticleRef, ...] = ()
    summary: str = Field(min_length=1)
    channels: tuple[Channel, ...] = Field(min_length=1)
    elements: tuple[Element, ...] = Field(min_length=1)
    time_rules: tuple[TimeRule, ...] = ()
    refusal_grounds: tuple[str, ...] = ()
    postponement_grounds: tuple[str, ...] = ()
    dual_criminality: DualCriminality
    data_access: DataAccess | None = None
    """Whether data items in this request ask for stored data or live collection."""
    data_categories: tuple[DataCategoryId, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        ids = [element.id for element in self.elements]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate element ids: {', '.join(duplicates)}")
        if bool(self.data_categories) != (self.data_access is not None):
            raise ValueError("'data_access' and 'data_categories' must be given together")
        return self

    @property
    def required_elements(self) -> tuple[Element, ...]:
        """Elements every request of this kind needs."""
        return tuple(e for e in self.elements if not e.conditional)

    @property
    def conditional_elements(self) -> tuple[Element, ...]:
        """Elements needed only when (or unless) a condition on the document holds."""
        return tuple(e for e in self.elements if e.conditional)

    def element(self, element_id: str) -> Element:
        for element in self.elements:
            if element.id == element_id:
                return element
        raise UnknownEntryError(
            f"instrument {self.kind!r} has no element {element_id!r}", check="element"
        )


class Rule(_Sourced):
    """A cross-field check. The logic is implemented in code per ``id``; everything a
    reviewer may correct (message, article, severity, confidence, scope) is data.

    ``message`` is a ``str.format`` template filled by the implementation."""

    id: str = Field(pattern=_ID)
    message: str = Field(min_length=1)
    article: ArticleRef
    severity: Severity
    confidence: Confidence
    source: Source | None = None
    basis: Basis = "convention"
    applies_to: tuple[InstrumentKind, ...] = Field(min_length=1)

    @field_validator("applies_to", mode="before")
    @classmethod
    def _expand_all(cls, value: Any) -> Any:
        if value == "*" or value == ["*"]:
            return KINDS
        return value


class Convention(_Frozen):
    """The whole Convention as the platform uses it. Build it with ``get_convention()``."""

    articles: tuple[Article, ...]
    offences: tuple[Offence, ...]
    data_categories: tuple[DataCategory, ...]
    refusal_grounds: tuple[Ground, ...]
    postponement_grounds: tuple[Ground, ...]
    instruments: Mapping[str, Instrument]
    rules: tuple[Rule, ...]

    @field_validator("instruments", mode="after")
    @classmethod
    def _read_only(cls, value: Mapping[str, Instrument]) -> Mapping[str, Instrument]:
        return MappingProxyType(dict(value))

    @field_serializer("instruments")
    def _dump_instruments(self, value: Mapping[str, Instrument]) -> dict[str, Instrument]:
        return dict(value)

    def article(self, number: int) -> Article:
        if 1 <= number <= len(self.articles):
            return self.articles[number - 1]
        raise UnknownEntryError(
            f"no article {number}; the Convention has 1..{ARTICLE_COUNT}", check="article"
        )

    def instrument(self, kind: str) -> Instrument:
        try:
            return self.instruments[kind]
        except (KeyError, TypeError):
            raise UnknownInstrumentError(kind, self.instruments) from None

    def offence(self, code: str) -> Offence:
        for offence in self.offences:
            if offence.code == code:
                return offence
        codes = ", ".join(o.code for o in self.offences)
        raise UnknownEntryError(
            f"unknown offence code {code!r}; valid codes: {codes}", check="offence"
        )

    def data_category(self, category_id: str) -> DataCategory:
        for category in self.data_categories:
            if category.id == category_id:
                return category
        raise UnknownEntryError(f"unknown data category {category_id!r}", check="category")

    def refusal_ground(self, ground_id: str) -> Ground:
        return _find_ground(self.refusal_grounds, ground_id, "refusal")

    def postponement_ground(self, ground_id: str) -> Ground:
        return _find_ground(self.postponement_grounds, ground_id, "postponement")

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise UnknownEntryError(f"unknown rule {rule_id!r}", check="rule")

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        """The cross-field rules that apply to one instrument, in data order."""
        self.instrument(kind)
        return tuple(rule for rule in self.rules if kind in rule.applies_to)


def _find_ground(grounds: tuple[Ground, ...], ground_id: str, what: str) -> Ground:
    for ground in grounds:
        if ground.id == ground_id:
            return ground
    raise UnknownEntryError(f"unknown {what} ground {ground_id!r}", check="ground")

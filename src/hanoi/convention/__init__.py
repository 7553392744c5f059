"""The UN Convention against Cybercrime as data: articles, offences, data categories,
refusal and postponement grounds, request instruments and cross-field rules.

Pure data and validation: this package imports nothing else from ``hanoi`` but
:mod:`hanoi.errors` (the root of every error), so that every other part of the platform can
depend on it.
"""

from hanoi.convention.errors import (
    ConventionDataError,
    UnknownEntryError,
    UnknownInstrumentError,
)
from hanoi.convention.loader import get_convention, load_convention, verify_rule_implementations
from hanoi.convention.model import (
    CHAPTERS,
    KINDS,
    LETTERED_ARTICLES,
    Article,
    ArticleRef,
    Basis,
    Channel,
    Condition,
    Confidence,
    Convention,
    DataAccess,
    DataCategory,
    DataCategoryId,
    DualCriminality,
    Element,
    Ground,
    Instrument,
    InstrumentKind,
    Offence,
    OffenceElement,
    Paragraph,
    Rule,
    Severity,
    Source,
    TimeRule,
)

__all__ = [
    "CHAPTERS",
    "KINDS",
    "LETTERED_ARTICLES",
    "Article",
    "ArticleRef",
    "Basis",
    "Channel",
    "Condition",
    "Confidence",
    "Convention",
    "ConventionDataError",
    "DataAccess",
    "DataCategory",
    "DataCategoryId",
    "DualCriminality",
    "Element",
    "Ground",
    "Instrument",
    "InstrumentKind",
    "Offence",
    "OffenceElement",
    "Paragraph",
    "Rule",
    "Severity",
    "Source",
    "TimeRule",
    "UnknownEntryError",
    "UnknownInstrumentError",
    "get_convention",
    "load_convention",
    "verify_rule_implementations",
]

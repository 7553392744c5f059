"""Read the YAML data files once and turn them into one validated ``Convention``.

Validation happens here, at the boundary, and every failure names the file it came from, so
a reviewer editing ``instruments.yaml`` is told exactly which line of thought went wrong.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from hanoi.convention.errors import ConventionDataError
from hanoi.convention.model import (
    ARTICLE_COUNT,
    CHAPTERS,
    KINDS,
    Article,
    Convention,
    DataCategory,
    Ground,
    Instrument,
    Offence,
    Rule,
)

DATA_DIR = Path(__file__).with_name("data")

ARTICLES_FILE = "articles.yaml"
OFFENCES_FILE = "offences.yaml"
DATA_CATEGORIES_FILE = "data_categories.yaml"
GROUNDS_FILE = "grounds.yaml"
INSTRUMENTS_FILE = "instruments.yaml"
RULES_FILE = "rules.yaml"

# libyaml's parser when PyYAML has it: ten times faster than the pure-Python one, and the
# data is read by every command that checks a request or computes a deadline.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _ArticlesFile(_File):
    articles: tuple[Article, ...]


class _OffencesFile(_File):
    offences: tuple[Offence, ...]


class _DataCategoriesFile(_File):
    data_categories: tuple[DataCategory, ...]


class _GroundsFile(_File):
    refusal: tuple[Ground, ...]
    postponement: tuple[Ground, ...]


class _InstrumentsFile(_File):
    instruments: tuple[Instrument, ...]


class _RulesFile(_File):
    rules: tuple[Rule, ...]


_M = TypeVar("_M", bound=_File)


@functools.cache
def get_convention() -> Convention:
    """The bundled Convention data, loaded and validated on first use."""
    return load_convention()


def load_convention(
    data_dir: Path | None = None, *, implemented_rules: Collection[str] | None = None
) -> Convention:
    """Load and cross-check every data file in ``data_dir`` (default: the bundled data).

    With ``implemented_rules``, also require that the rule ids in ``rules.yaml`` are exactly
    the ones the caller implements. Raises ``ConventionDataError`` naming the faulty file.
    """
    directory = DATA_DIR if data_dir is None else Path(data_dir)
    articles = _read(directory, ARTICLES_FILE, _ArticlesFile).articles
    offences = _read(directory, OFFENCES_FILE, _OffencesFile).offences
    categories = _read(directory, DATA_CATEGORIES_FILE, _DataCategoriesFile).data_categories
    grounds = _read(directory, GROUNDS_FILE, _GroundsFile)
    instruments = _read(directory, INSTRUMENTS_FILE, _InstrumentsFile).instruments
    rules = _read(directory, RULES_FILE, _RulesFile).rules

    _check_articles(articles)
    _check_unique(OFFENCES_FILE, "offence code", [o.code for o in offences])
    for offence in offences:
        ids = [e.id for e in offence.optional_elements]
        _check_unique(OFFENCES_FILE, f"{offence.code} optional element id", ids)
    _check_unique(DATA_CATEGORIES_FILE, "data category", [c.id for c in categories])
    _check_unique(GROUNDS_FILE, "refusal ground id", [g.id for g in grounds.refusal])
    _check_unique(GROUNDS_FILE, "postponement ground id", [g.id for g in grounds.postponement])
    _check_instruments(instruments, grounds, categories)
    _check_unique(RULES_FILE, "rule id", [r.id for r in rules])

    convention = Convention(
        articles=articles,
        offences=offences,
        data_categories=categories,
        refusal_grounds=grounds.refusal,
        postponement_grounds=grounds.postponement,
        instruments={i.kind: i for i in instruments},
        rules=rules,
    )
    if implemented_rules is not None:
        verify_rule_implementations(convention, implemented_rules)
    return convention


def verify_rule_implementations(convention: Convention, implemented: Collection[str]) -> None:
    """Fail unless every rule in the data has code and every piece of rule code has data.

    A rule without code would silently never fire; code without data would have no message,
    article or confidence to report. Both are data errors in ``rules.yaml``.
    """
    in_data = {rule.id for rule in convention.rules}
    missing_code = sorted(in_data - set(implemented))
    missing_data = sorted(set(implemented) - in_data)
    if missing_code:
        raise ConventionDataError(
            RULES_FILE, f"no implementation for rule(s): {', '.join(missing_code)}"
        )
    if missing_data:
        raise ConventionDataError(
            RULES_FILE, f"implemented rule(s) missing from the data: {', '.join(missing_data)}"
        )


def _read(directory: Path, name: str, model: type[_M]) -> _M:
    path = directory / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConventionDataError(name, f"file is missing from {directory}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConventionDataError(name, f"cannot read file: {exc}") from None
    try:
        raw: Any = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1} column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConventionDataError(name, f"not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConventionDataError(name, "top level must be a mapping")
    # Top-level keys starting with '_' only hold YAML anchors shared by the entries below.
    raw = {key: value for key, value in raw.items() if not str(key).startswith("_")}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConventionDataError(name, _describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    text = f"{location}: {first['msg']}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem(s))"
    return text


def _check_unique(file: str, what: str, values: Sequence[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ConventionDataError(file, f"duplicate {what} {value!r}")
        seen.add(value)


def _check_articles(articles: Sequence[Article]) -> None:
    numbers = [a.number for a in articles]
    if numbers != list(range(1, ARTICLE_COUNT + 1)):
        missing = sorted(set(range(1, ARTICLE_COUNT + 1)) - set(numbers))
        detail = f"missing {missing}" if missing else "out of order or duplicated"
        raise ConventionDataError(
            ARTICLES_FILE, f"articles must be numbered 1..{ARTICLE_COUNT} in order ({detail})"
        )
    for article in articles:
        _, first, last = CHAPTERS[article.chapter]
        if not first <= article.number <= last:
            raise ConventionDataError(
                ARTICLES_FILE,
                f"article {article.number} is in chapter {article.chapter}, "
                f"which covers articles {first}-{last}",
            )


def _check_instruments(
    instruments: Sequence[Instrument], grounds: _GroundsFile, categories: Sequence[DataCategory]
) -> None:
    kinds = tuple(i.kind for i in instruments)
    if kinds != KINDS:
        raise ConventionDataError(
            INSTRUMENTS_FILE, f"instruments must be exactly, in order: {', '.join(KINDS)}"
        )
    refusal = {g.id for g in grounds.refusal}
    postponement = {g.id for g in grounds.postponement}
    for instrument in instruments:
        for ground_id in instrument.refusal_grounds:
            if ground_id not in refusal:
                raise ConventionDataError(
                    INSTRUMENTS_FILE,
                    f"{instrument.kind}: refusal ground {ground_id!r} is not in {GROUNDS_FILE}",
                )
        for ground_id in instrument.postponement_grounds:
            if ground_id not in postponement:
                raise ConventionDataError(
                    INSTRUMENTS_FILE,
                    f"{instrument.kind}: postponement ground {ground_id!r} "
                    f"is not in {GROUNDS_FILE}",
                )
        expected = sorted(
            c.id
            for c in categories
            if instrument.data_access is not None
            and instrument.kind in c.instruments_for(instrument.data_access)
        )
        if sorted(instrument.data_categories) != expected:
            raise ConventionDataError(
                INSTRUMENTS_FILE,
                f"{instrument.kind}: data_categories {sorted(instrument.data_categories)} "
                f"disagree with {DATA_CATEGORIES_FILE}, which allows {expected}",
            )
    by_kind = {i.kind: i for i in instruments}
    for category in categories:
        for access in ("stored", "live"):
            for kind in category.instruments_for(access):
                if by_kind[kind].data_access != access:
                    raise ConventionDataError(
                        DATA_CATEGORIES_FILE,
                        f"{category.id}: {kind} is listed as {access}, "
                        f"but that instrument's data_access is {by_kind[kind].data_access}",
                    )

"""The glossary: the Convention's key terms in the six UN languages (``glossary.yaml``).

A translator of any catalogue says each of these terms the glossary's way, so that a page, a
letter and the names in the Convention data use one word for one thing; a test holds the
catalogues to it. Each term has an id, a one-line English definition, the articles it comes
from, and its rendering in every one of the six languages with a status: ``checked`` once
compared with the Convention's authentic text in that language, ``unofficial`` until then.

The file is validated strictly on load: a missing language, an unknown status or a repeated
id stops it with a ``GlossaryError`` that names the term and the fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hanoi.errors import SetupError
from hanoi.i18n.languages import LANGUAGES, SOURCE_LANGUAGE

__all__ = ["GLOSSARY_FILE", "Glossary", "GlossaryError", "Rendering", "Term", "load_glossary"]

GLOSSARY_FILE = "glossary.yaml"

Status = Literal["unofficial", "checked"]

_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_ARTICLE = re.compile(r"^Art\. \d{1,2}(?:\(\d{1,2}\))?(?:\([a-z]{1,4}\))?$")
# libyaml's parser where PyYAML has it, as for the Convention data.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class GlossaryError(SetupError):
    """The glossary file is missing, unreadable or malformed; ``problem`` says where."""

    title = "Malformed glossary"

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rendering(_Frozen):
    """A term in one language."""

    term: str = Field(min_length=1)
    status: Status


class Term(_Frozen):
    """One key term and its rendering in each of the six languages."""

    id: str = Field(pattern=_ID)
    definition: str = Field(min_length=1)
    articles: tuple[str, ...] = Field(min_length=1)
    basis: Literal["convention", "platform"] = "convention"
    languages: Mapping[str, Rendering]

    @field_validator("articles", mode="after")
    @classmethod
    def _article_refs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for ref in value:
            if not _ARTICLE.match(ref):
                raise ValueError(f"article reference {ref!r} is not like 'Art. 42(3)(c)'")
        return value

    @field_validator("languages", mode="after")
    @classmethod
    def _all_six(cls, value: Mapping[str, Rendering]) -> Mapping[str, Rendering]:
        missing = [lang for lang in LANGUAGES if lang not in value]
        unknown = sorted(lang for lang in value if lang not in LANGUAGES)
        if missing or unknown:
            said = []
            if missing:
                said.append(f"missing {', '.join(missing)}")
            if unknown:
                said.append(f"unknown {', '.join(unknown)}")
            raise ValueError(
                f"needs exactly the six languages {', '.join(LANGUAGES)}: {'; '.join(said)}"
            )
        return MappingProxyType({lang: value[lang] for lang in LANGUAGES})

    @property
    def english(self) -> str:
        """The term in English, the source language."""
        return self.languages[SOURCE_LANGUAGE].term

    def term(self, lang: str) -> str:
        """The term in ``lang`` (one of the six)."""
        return self.languages[lang].term


class Glossary(_Frozen):
    """Every key term, in the file's order. Build it with ``load_glossary()``."""

    terms: tuple[Term, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Glossary:
        for what, values in (
            ("id", [t.id for t in self.terms]),
            ("English term", [t.english.casefold() for t in self.terms]),
        ):
            seen: set[str] = set()
            for value in values:
                if value in seen:
                    raise ValueError(f"duplicate {what} {value!r}")
                seen.add(value)
        return self

    def get(self, term_id: str) -> Term:
        for term in self.terms:
            if term.id == term_id:
                return term
        raise KeyError(term_id)

    def by_english(self) -> dict[str, Term]:
        """The terms by their English wording, case-folded."""
        return {term.english.casefold(): term for term in self.terms}


def load_glossary(path: Path | None = None) -> Glossary:
    """The glossary at ``path``, or the one shipped with the package; ``GlossaryError`` if
    it is missing, not YAML, or breaks a rule (six languages, status, unique ids)."""
    name = path.name if path is not None else GLOSSARY_FILE
    try:
        if path is None:
            text = resources.files("hanoi.i18n").joinpath(GLOSSARY_FILE).read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GlossaryError(name, "file is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryError(name, f"cannot read file: {exc}") from None
    try:
        raw: Any = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise GlossaryError(name, f"not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise GlossaryError(name, "top level must be a mapping with 'terms'")
    try:
        return Glossary.model_validate(raw)
    except ValidationError as exc:
        raise GlossaryError(name, _describe(exc, raw)) from None


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    """The first fault, located by term id where there is one (``terms.3`` means little)."""
    errors = exc.errors()
    first = errors[0]
    location = [str(part) for part in first["loc"]]
    if len(location) >= 2 and location[0] == "terms" and location[1].isdigit():
        entries = raw.get("terms")
        index = int(location[1])
        if isinstance(entries, list) and index < len(entries):
            entry = entries[index]
            term_id = entry.get("id") if isinstance(entry, dict) else None
            location[1] = f"term {term_id!r}" if term_id else f"term #{index + 1}"
            location = location[1:]
    message = str(first["msg"]).removeprefix("Value error, ")
    text = f"{'.'.join(location) or '(top level)'}: {message}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem(s))"
    return text

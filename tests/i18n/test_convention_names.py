"""The ``convention`` catalogues: every language says every name of the Convention data.

``convention_messages()`` lists the names (articles, chapters, instruments, elements,
channels, offences and their optional elements, data categories, grounds). Each
catalogue but English must hold exactly those messages, translated, none fuzzy, with the
placeholders of the English; English, the source language, may only rephrase. Copies of a
catalogue with a message removed or a stale one added prove the check sees both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from hanoi.convention import get_convention
from hanoi.convention.names import CHANNEL_NAMES, convention_messages
from hanoi.i18n.catalogues import catalogue_path, translations
from hanoi.i18n.languages import LANGUAGES, SOURCE_LANGUAGE

Key = tuple[str | None, str]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
CONVENTION = get_convention()


@dataclass
class Drift:
    """What is wrong with one catalogue, each list sorted."""

    missing: list[Key] = field(default_factory=list)
    stale: list[Key] = field(default_factory=list)
    untranslated: list[Key] = field(default_factory=list)
    fuzzy: list[Key] = field(default_factory=list)
    placeholders: list[Key] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.missing or self.stale or self.untranslated or self.fuzzy or self.placeholders
        )


def _path(lang: str) -> Path:
    return Path(str(catalogue_path("convention", lang)))


def _order(key: Key) -> tuple[str, str]:
    return (key[0] or "", key[1])


def convention_drift(path: Path, lang: str) -> Drift:
    """How the catalogue at ``path`` differs from ``convention_messages()``."""
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain="convention")
    expected = set(convention_messages())
    drift = Drift()
    keys: set[Key] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = [str(i) for i in message.id] if isinstance(message.id, tuple) else [message.id]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        key: Key = (message.context, str(ids[0]))
        keys.add(key)
        if message.fuzzy:
            drift.fuzzy.append(key)
        if not all(strings):
            drift.untranslated.append(key)
        wanted = sorted(PLACEHOLDER.findall(str(ids[0])))
        if any(sorted(PLACEHOLDER.findall(str(s))) != wanted for s in strings if s):
            drift.placeholders.append(key)
    if lang != SOURCE_LANGUAGE:
        drift.missing = sorted(expected - keys, key=_order)
    drift.stale = sorted(keys - expected, key=_order)
    for found in (drift.untranslated, drift.fuzzy, drift.placeholders):
        found.sort(key=_order)
    return drift


# --- the list of names ----------------------------------------------------------------------


def test_every_name_of_the_data_is_listed_once() -> None:
    messages = convention_messages()
    assert len(messages) == len(set(messages))
    ids = {message for _, message in messages}
    names = [article.title for article in CONVENTION.articles]
    for instrument in CONVENTION.instruments.values():
        names.append(instrument.title)
        names += [CHANNEL_NAMES[channel] for channel in instrument.channels]
        names += [element.label for element in instrument.elements]
    for offence in CONVENTION.offences:
        names.append(offence.name)
        names += [optional.text for optional in offence.optional_elements]
    names += [category.title for category in CONVENTION.data_categories]
    names += [g.text for g in (*CONVENTION.refusal_grounds, *CONVENTION.postponement_grounds)]
    assert not set(names) - ids
    assert all(context is None for context, _ in messages)


def test_every_channel_has_a_name() -> None:
    channels = {c for instrument in CONVENTION.instruments.values() for c in instrument.channels}
    assert channels <= set(CHANNEL_NAMES)


# --- the catalogues -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_exactly_the_convention_names(lang: str) -> None:
    drift = convention_drift(_path(lang), lang)
    assert drift.clean, f"{lang}: {drift}"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE])
def test_every_name_reads_in_the_language_at_run_time(lang: str) -> None:
    """What pages and letters get (the compiled catalogue) is the catalogue's translation."""
    with _path(lang).open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain="convention")
    gettext = translations(lang, "convention").gettext
    wrong = [m for _, m in convention_messages() if gettext(m) != _string(catalog.get(m))]
    assert not wrong, f"{lang}: {wrong}"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE])
def test_catalogue_is_sorted_by_message_id(lang: str) -> None:
    with _path(lang).open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain="convention")
    keys = [(m.id, m.context or "") for m in catalog if m.id]
    assert keys == sorted(keys)


def _string(message: Message | None) -> object:
    return message.string if message is not None else None


# --- the check itself -----------------------------------------------------------------------


def test_check_catches_a_removed_message(tmp_path: Path) -> None:
    source = _path("fr").read_text("utf-8")
    entry = 'msgid "Production order"\nmsgstr "Injonction de produire"\n\n'
    assert entry in source
    copy = tmp_path / "convention.po"
    copy.write_text(source.replace(entry, ""), "utf-8")
    drift = convention_drift(copy, "fr")
    assert drift.missing == [(None, "Production order")]
    assert not (drift.stale or drift.untranslated or drift.fuzzy or drift.placeholders)


def test_check_catches_a_stale_message(tmp_path: Path) -> None:
    source = _path("fr").read_text("utf-8")
    copy = tmp_path / "convention.po"
    copy.write_text(source + '\nmsgid "An article the Convention lacks"\nmsgstr "Un article"\n')
    drift = convention_drift(copy, "fr")
    assert drift.stale == [(None, "An article the Convention lacks")]
    assert not drift.missing
    # English only rephrases, but must not hold a stale message either.
    english = tmp_path / "en.po"
    english.write_text(
        _path("en").read_text("utf-8") + '\nmsgid "Old title"\nmsgstr "Older title"\n'
    )
    assert convention_drift(english, "en").stale == [(None, "Old title")]


def test_check_catches_fuzzy_empty_and_broken_placeholders(tmp_path: Path) -> None:
    source = _path("es").read_text("utf-8")
    fuzzy = 'msgid "Production order"\nmsgstr "Orden de presentación"\n'
    empty = 'msgid "Secretariat"\nmsgstr "Secretaría"\n'
    assert fuzzy in source and empty in source
    text = source.replace(fuzzy, "#, fuzzy\n" + fuzzy).replace(
        empty, 'msgid "Secretariat"\nmsgstr ""\n'
    )
    text += '\nmsgid "Article %(number)s"\nmsgstr "Artículo %(numero)s"\n'
    copy = tmp_path / "convention.po"
    copy.write_text(text, "utf-8")
    drift = convention_drift(copy, "es")
    assert drift.fuzzy == [(None, "Production order")]
    assert drift.untranslated == [(None, "Secretariat")]
    assert drift.placeholders == [(None, "Article %(number)s")]

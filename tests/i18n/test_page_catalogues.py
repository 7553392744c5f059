"""Every page speaks the six languages: each catalogue holds exactly the pages' messages,
translated, and no template writes wording outside the translation calls.

A new string on a page fails here until ``make catalogues`` has added it and a translator
has translated it in ar, zh, fr, ru and es; each check is shown to catch what it is for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from hanoi.i18n.catalogues import catalogue_path
from hanoi.i18n.extraction import Found, stray_text
from hanoi.i18n.languages import LANGUAGES, SOURCE_LANGUAGE
from hanoi.web.page_messages import page_messages

TEMPLATES = sorted(
    (Path(str(catalogue_path("pages", "en"))).parents[4] / "web" / "templates").rglob("*.html")
)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")

Key = tuple[str | None, str]


def drift(path: Path, lang: str, messages: list[Found]) -> dict[str, list[Key]]:
    """What the catalogue at ``path`` gets wrong: messages missing or untranslated (or
    fuzzy), stale ones, and translations whose placeholders differ from their id's."""
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    wanted = {m.key for m in messages}
    have = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
    untranslated, placeholders = [], []
    for key in sorted(wanted, key=lambda k: (k[1], k[0] or "")):
        entry = have.get(key)
        if entry is None:
            if lang != SOURCE_LANGUAGE:
                untranslated.append(key)
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            untranslated.append(key)
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        expected = sorted(set(PLACEHOLDER.findall(" ".join(ids))))
        if any(sorted(set(PLACEHOLDER.findall(s))) != expected for s in strings):
            placeholders.append(key)
    stale = sorted((k for k in have if k not in wanted), key=lambda k: (k[1], k[0] or ""))
    return {"untranslated": untranslated, "stale": stale, "placeholders": placeholders}


@pytest.fixture(scope="module")
def messages() -> list[Found]:
    return page_messages()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogue_holds_exactly_the_pages_messages_translated(
    lang: str, messages: list[Found]
) -> None:
    problems = drift(Path(str(catalogue_path("pages", lang))), lang, messages)
    assert problems == {"untranslated": [], "stale": [], "placeholders": []}, (
        f"{lang}: run `make catalogues`, then translate: {problems}"
    )


def test_the_extraction_reads_templates_and_python(messages: list[Found]) -> None:
    ids = {m.key[1] for m in messages}
    assert "Sign out" in ids  # base.html
    assert "MLA officer" in ids  # web/templating.py, marked with N_


def test_the_check_catches_a_removed_a_stale_and_a_broken_message(
    tmp_path: Path, messages: list[Found]
) -> None:
    def copy_with(change: Callable[[Catalog], None]) -> Path:
        with Path(str(catalogue_path("pages", "es"))).open("rb") as fp:
            catalog = read_po(fp, locale="es")
        change(catalog)
        copy = tmp_path / "pages.po"
        with copy.open("wb") as fp:
            write_po(fp, catalog)
        return copy

    assert drift(copy_with(lambda c: None), "es", messages) == {
        "untranslated": [],
        "stale": [],
        "placeholders": [],
    }
    removed = copy_with(lambda c: c.delete("Sign out"))
    assert drift(removed, "es", messages)["untranslated"] == [(None, "Sign out")]

    stale = copy_with(lambda c: c.add("A message no page shows", "Un mensaje"))
    assert drift(stale, "es", messages)["stale"] == [(None, "A message no page shows")]

    footer = "Hanoi %(version)s — cooperation under the UN Convention against Cybercrime"

    def break_placeholder(catalog: Catalog) -> None:
        catalog[footer].string = "Hanoi %(versión)s — cooperación"

    broken = copy_with(break_placeholder)
    assert drift(broken, "es", messages)["placeholders"] == [(None, footer)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_writes_wording_outside_the_translation_calls(template: Path) -> None:
    assert stray_text(template.read_text("utf-8")) == []


def test_the_template_check_finds_text_and_read_attributes_but_not_code() -> None:
    source = """{% extends "base.html" %}
{% block main %}<h1>{{ _("Requests") }}</h1>
<p title="Shown on hover">Plain words</p>
<p>{{ case.reference }} · {{ 3 }} — 12</p>
<img alt="{{ _('Seal') }}" src="x.png"><span aria-label="Close">×</span>
<script>const words = "not wording";</script>
<p>Hanoi UTC</p>{% endblock %}"""
    assert stray_text(source) == [
        (3, 'title="Shown on hover"'),
        (3, "Plain words"),
        (5, 'aria-label="Close"'),
    ]

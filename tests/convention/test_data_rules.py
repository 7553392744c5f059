"""Rules the Convention data keeps, shown on the shipped files and on broken copies of them.

1. A citation names its paragraph: ``Art. 40(15)(a)``, never ``Art. 40(a)`` (only Art. 2,
   whose lettered terms stand directly under the article, cites a letter alone).
2. Every element says its ``basis`` explicitly, ``convention`` or ``platform``.
3. Whatever says ``confirmed`` names its ``source``.

Each rule is checked twice: by reading the raw YAML (so the test does not trust the model it
tests), and by the real loader, which must refuse a copy of the data broken on purpose.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hanoi.convention import LETTERED_ARTICLES, ConventionDataError, load_convention
from hanoi.convention.loader import DATA_DIR

FILES = (
    "articles.yaml",
    "offences.yaml",
    "data_categories.yaml",
    "grounds.yaml",
    "instruments.yaml",
    "rules.yaml",
)
CITATION = re.compile(r"^Art\.\s*(\d{1,3})(?:\((\d{1,2})\))?(?:\(([a-z]{1,4})\))?$")


def _raw(directory: Path, name: str) -> dict[str, Any]:
    data = yaml.safe_load((directory / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {key: value for key, value in data.items() if not str(key).startswith("_")}


def _walk(node: object, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in ``node`` with its dotted place."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}.{index}")


def _citations(directory: Path) -> Iterator[tuple[str, str]]:
    for name in FILES:
        for where, mapping in _walk(_raw(directory, name), name):
            for key in ("article", "related"):
                value = mapping.get(key)
                for text in value if isinstance(value, list) else [value]:
                    if isinstance(text, str):
                        yield f"{where}.{key}", text


def letters_without_paragraph(directory: Path) -> list[str]:
    found = []
    for where, text in _citations(directory):
        match = CITATION.match(text.strip())
        assert match is not None, (where, text)
        article, paragraph, letter = match.groups()
        if letter and not paragraph and int(article) not in LETTERED_ARTICLES:
            found.append(f"{where}: {text}")
    return found


def elements_without_basis(directory: Path) -> list[str]:
    instruments = _raw(directory, "instruments.yaml")["instruments"]
    return [
        f"{instrument['kind']}.{element['id']}"
        for instrument in instruments
        for element in instrument["elements"]
        if element.get("basis") not in ("convention", "platform")
    ]


def confirmed_without_source(directory: Path) -> list[str]:
    return [
        where
        for name in FILES
        for where, mapping in _walk(_raw(directory, name), name)
        if mapping.get("confidence") == "confirmed"
        and not (isinstance(mapping.get("source"), str) and mapping["source"].strip())
    ]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str, *, first: bool = False) -> None:
    """Replace ``old`` (which must occur exactly once, unless ``first``) by ``new``."""
    text = path.read_text(encoding="utf-8")
    assert old in text and (first or text.count(old) == 1), f"{old!r} in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the shipped data keeps the rules ----------------------------------------------------


def test_every_citation_of_a_letter_names_its_paragraph() -> None:
    assert letters_without_paragraph(DATA_DIR) == []
    # Art. 2 has no paragraphs: its terms are cited by letter alone.
    assert ("data_categories.yaml.data_categories.0.article", "Art. 2(f)") in set(
        _citations(DATA_DIR)
    )


def test_every_element_states_its_basis() -> None:
    assert elements_without_basis(DATA_DIR) == []


def test_every_confirmed_entry_names_its_source() -> None:
    assert confirmed_without_source(DATA_DIR) == []
    # And the loaded data says the same, down to paragraphs.
    convention = load_convention()
    entries: list[Any] = [
        *convention.articles,
        *(p for a in convention.articles for p in a.paragraphs),
        *convention.offences,
        *convention.data_categories,
        *convention.refusal_grounds,
        *convention.postponement_grounds,
        *convention.rules,
    ]
    for instrument in convention.instruments.values():
        entries += [*instrument.elements, *instrument.time_rules, instrument.dual_criminality]
    confirmed = [e for e in entries if e.confidence == "confirmed"]
    assert confirmed
    assert all(e.source for e in confirmed)


# --- the corrections, as data ------------------------------------------------------------

_PLATFORM = {
    "traffic-disclosure": "*",
    "spontaneous-information": "*",
    "extradition": {"offences", "offence-code", "offence-description", "offence-penalty"},
    "mla": {"offences", "offence-code", "offence-description"},
    "mla-stored-data": {"offences", "offence-code", "offence-description"},
}


@pytest.mark.parametrize("kind", sorted(_PLATFORM))
def test_elements_no_text_lists_are_the_platforms(kind: str) -> None:
    instrument = load_convention().instrument(kind)
    wanted = _PLATFORM[kind]
    ids = {e.id for e in instrument.elements} if wanted == "*" else wanted
    assert {e.id: e.basis for e in instrument.elements if e.id in ids} == dict.fromkeys(
        ids, "platform"
    )


def test_article_40_contents_cite_their_paragraph_and_15_e_is_not_the_data() -> None:
    convention = load_convention()
    mla = convention.instrument("mla")
    assert str(mla.element("authority").article) == "Art. 40(15)(a)"
    assert str(mla.element("purpose").article) == "Art. 40(15)(g)"
    for kind in ("mla", "mla-stored-data", "confiscation"):
        for element in convention.instrument(kind).elements:
            if element.article.article == 40 and element.article.letter:
                # Not seen in a text: the paragraph number stays unconfirmed.
                assert element.article.paragraph == 15, (kind, element.id)
                assert element.confidence == "unconfirmed", (kind, element.id)
    assert not [
        (instrument.kind, element.id)
        for instrument in convention.instruments.values()
        for element in instrument.elements
        if element.id in ("data-category", "data-description", "custodian")
        and (element.article.article, element.article.letter) == (40, "e")
    ]
    assert str(convention.instrument("mla-stored-data").element("custodian").article) == "Art. 44"
    assert {str(e.article) for e in convention.instrument("realtime-traffic").elements} >= {
        f"Art. 45(3)({letter})" for letter in "abcdef"
    }
    article = convention.article(40)
    assert [(p.number, p.confidence) for p in article.paragraphs] == [
        (8, "confirmed"),
        (15, "unconfirmed"),
        (22, "confirmed"),
    ]


def test_article_65_is_confirmed_for_paragraph_1_only() -> None:
    convention = load_convention()
    article = convention.article(65)
    first, second = article.paragraph(1), article.paragraph(2)
    assert first is not None and first.confidence == "confirmed" and first.source
    assert second is not None and second.confidence == "unconfirmed"
    # The confirmed summary does not state the later-Party rule as fact.
    assert "thirtieth" not in article.summary
    assert "paragraph 2 (unconfirmed)" in article.summary
    for rule in ("convention-binds-later", "convention-not-binding"):
        assert str(convention.rule(rule).article) == "Art. 65(1)"


@pytest.mark.parametrize(("number", "paragraph"), [(11, 3), (63, 3), (64, 1), (40, 22)])
def test_paragraphs_sources_confirm(number: int, paragraph: int) -> None:
    found = load_convention().article(number).paragraph(paragraph)
    assert found is not None
    assert found.confidence == "confirmed"
    assert found.source


def test_the_discrimination_ground_rests_on_40_22_with_its_source() -> None:
    ground = load_convention().refusal_ground("discrimination")
    assert str(ground.article) == "Art. 40(22)"
    assert ground.confidence == "confirmed"
    assert ground.source is not None and "dfat.gov.au" in ground.source


# --- broken copies: each rule catches them, and the loader refuses them -------------------


def test_a_letter_without_its_paragraph_is_refused(data_dir: Path) -> None:
    # The first Art. 40(15)(a) is the general request's authority (instrument 2, element 5).
    _edit(
        data_dir / "instruments.yaml", "article: Art. 40(15)(a)", "article: Art. 40(a)", first=True
    )
    assert letters_without_paragraph(data_dir) == [
        "instruments.yaml.instruments.2.elements.5.article: Art. 40(a)"
    ]
    with pytest.raises(ConventionDataError) as caught:
        load_convention(data_dir)
    assert caught.value.file == "instruments.yaml"
    assert caught.value.problem.startswith("instruments.2.elements.5.article: ")
    assert "Art. 40(a) cites a letter without its paragraph" in caught.value.problem


def test_a_letter_without_its_paragraph_is_refused_in_any_file(data_dir: Path) -> None:
    _edit(data_dir / "rules.yaml", "article: Art. 42(3)(f)", "article: Art. 42(f)")
    assert letters_without_paragraph(data_dir) == ["rules.yaml.rules.9.article: Art. 42(f)"]
    with pytest.raises(ConventionDataError, match=r"^rules\.yaml: rules\.9\.article: .*paragraph"):
        load_convention(data_dir)


def test_an_element_without_an_explicit_basis_is_refused(data_dir: Path) -> None:
    _edit(
        data_dir / "instruments.yaml",
        "article: Art. 42(3)(e), confidence: unconfirmed, basis: convention}",
        "article: Art. 42(3)(e), confidence: unconfirmed}",
    )
    assert elements_without_basis(data_dir) == ["preservation.necessity"]
    with pytest.raises(ConventionDataError) as caught:
        load_convention(data_dir)
    assert caught.value.file == "instruments.yaml"
    assert caught.value.problem.startswith("instruments.0.elements.15.basis: Field required")


def test_an_element_basis_must_be_convention_or_platform(data_dir: Path) -> None:
    _edit(
        data_dir / "instruments.yaml",
        "article: Art. 42(3)(e), confidence: unconfirmed, basis: convention}",
        "article: Art. 42(3)(e), confidence: unconfirmed, basis: treaty}",
    )
    assert elements_without_basis(data_dir) == ["preservation.necessity"]
    with pytest.raises(ConventionDataError, match="basis: Input should be 'convention' or"):
        load_convention(data_dir)


@pytest.mark.parametrize(
    ("file", "old", "new", "place"),
    [
        # a ground raised to confirmed without saying where it was checked
        (
            "grounds.yaml",
            "    article: Art. 40\n    confidence: unconfirmed\n  - id: domestic-law-bar",
            "    article: Art. 40\n    confidence: confirmed\n  - id: domestic-law-bar",
            "refusal.1",
        ),
        # an element raised to confirmed without a source
        (
            "instruments.yaml",
            "article: Art. 42(3)(e), confidence: unconfirmed,",
            "article: Art. 42(3)(e), confidence: confirmed,",
            "instruments.0.elements.15",
        ),
        # Art. 65(2) made confirmed with nothing to rest on
        (
            "articles.yaml",
            "      - number: 2\n        confidence: unconfirmed\n",
            "      - number: 2\n        confidence: confirmed\n",
            "articles.64.paragraphs.1",
        ),
        # a confirmed rule (the Art. 65(1) check of whom the Convention binds) that loses
        # its source
        (
            "rules.yaml",
            '{from_date}."\n    article: Art. 65(1)\n    severity: warning\n'
            "    confidence: confirmed\n    source: https://treaties.un.org/doc/Publication/"
            "MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml\n",
            '{from_date}."\n    article: Art. 65(1)\n    severity: warning\n'
            "    confidence: confirmed\n",
            "rules.12",
        ),
    ],
)
def test_confirmed_without_a_source_is_refused(
    data_dir: Path, file: str, old: str, new: str, place: str
) -> None:
    _edit(data_dir / file, old, new)
    assert confirmed_without_source(data_dir) == [f"{file}.{place}"]
    with pytest.raises(ConventionDataError) as caught:
        load_convention(data_dir)
    assert caught.value.file == file
    assert caught.value.problem.startswith(f"{place}: Value error, 'confirmed' needs a 'source'")


def test_an_empty_source_does_not_count(data_dir: Path) -> None:
    _edit(
        data_dir / "grounds.yaml",
        "source: \"Australia's statement at the adoption of the Convention"
        ' (https://www.dfat.gov.au/node/154262)"',
        'source: " "',
    )
    assert confirmed_without_source(data_dir) == ["grounds.yaml.refusal.4"]
    with pytest.raises(ConventionDataError, match=r"^grounds\.yaml: refusal\.4\.source"):
        load_convention(data_dir)

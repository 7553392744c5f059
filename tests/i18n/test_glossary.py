"""The glossary of key terms: it loads, it is strict, and the catalogues agree with it.

Consistency: wherever a catalogue (letters, convention, pages) translates a message whose
English text is exactly a glossary term (case aside, no context), the translation is the
glossary's term in that language (case aside). A message with a context (the letter's
subject lines, ``msgctxt "subject"``) is a deliberately different phrase, and is not held
to it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hanoi.i18n.catalogues import DOMAINS, catalogue
from hanoi.i18n.glossary import GLOSSARY_FILE, Glossary, GlossaryError, load_glossary
from hanoi.i18n.languages import LANGUAGES, SOURCE_LANGUAGE

SHIPPED = Path(__file__).parents[2] / "src" / "hanoi" / "i18n" / GLOSSARY_FILE


def _raw() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(SHIPPED.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / GLOSSARY_FILE
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


# --- loading --------------------------------------------------------------------------------


def test_the_shipped_glossary_loads_with_every_language() -> None:
    glossary = load_glossary()
    assert isinstance(glossary, Glossary)
    assert 25 <= len(glossary.terms) <= 40
    for term in glossary.terms:
        assert tuple(term.languages) == LANGUAGES
        assert term.definition and term.articles
        for lang, rendering in term.languages.items():
            assert rendering.term.strip() == rendering.term != ""
            if lang != SOURCE_LANGUAGE:
                # Nothing has been compared with the authentic texts yet.
                assert rendering.status == "unofficial", (term.id, lang)
    assert glossary.get("central-authority").term("fr") == "autorité centrale"
    assert glossary.get("traffic-data").english == "traffic data"
    assert load_glossary(SHIPPED) == glossary


def test_the_glossary_covers_the_key_terms() -> None:
    english = set(load_glossary().by_english())
    for term in (
        "central authority",
        "24/7 network",
        "expedited preservation",
        "traffic data",
        "subscriber information",
        "content data",
        "dual criminality",
        "mutual legal assistance",
        "extradition",
        "requesting state",
        "requested state",
        "chain of custody",
        "spontaneous information",
        "production order",
        "personal data",
    ):
        assert term in english


def test_a_term_missing_a_language_is_refused(tmp_path: Path) -> None:
    data = _raw()
    del data["terms"][3]["languages"]["ru"]
    term_id = data["terms"][3]["id"]
    with pytest.raises(GlossaryError) as caught:
        load_glossary(_write(tmp_path, data))
    message = str(caught.value)
    assert message.startswith(f"{GLOSSARY_FILE}: term {term_id!r}.languages")
    assert "missing ru" in message


def test_a_language_beyond_the_six_is_refused(tmp_path: Path) -> None:
    data = _raw()
    data["terms"][0]["languages"]["de"] = {"term": "Zentralbehörde", "status": "unofficial"}
    with pytest.raises(GlossaryError, match="unknown de"):
        load_glossary(_write(tmp_path, data))


def test_an_unknown_status_is_refused(tmp_path: Path) -> None:
    data = _raw()
    data["terms"][1]["languages"]["fr"]["status"] = "official"
    term_id = data["terms"][1]["id"]
    with pytest.raises(GlossaryError) as caught:
        load_glossary(_write(tmp_path, data))
    message = str(caught.value)
    assert f"term {term_id!r}.languages.fr.status" in message
    assert "'unofficial' or 'checked'" in message


def test_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    data = _raw()
    copy = dict(data["terms"][0])
    copy["languages"] = {
        lang: {"term": f"{r['term']} 2", "status": r["status"]}
        for lang, r in copy["languages"].items()
    }
    data["terms"].append(copy)
    with pytest.raises(GlossaryError, match=f"duplicate id '{copy['id']}'"):
        load_glossary(_write(tmp_path, data))


def test_a_duplicate_english_term_is_refused(tmp_path: Path) -> None:
    data = _raw()
    copy = dict(data["terms"][0], id="another-id")
    data["terms"].append(copy)
    with pytest.raises(GlossaryError, match="duplicate English term"):
        load_glossary(_write(tmp_path, data))


def test_a_missing_or_broken_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="file is missing"):
        load_glossary(tmp_path / "absent.yaml")
    broken = tmp_path / GLOSSARY_FILE
    broken.write_text("terms: [\n", "utf-8")
    with pytest.raises(GlossaryError, match="not valid YAML"):
        load_glossary(broken)
    broken.write_text("- just a list\n", "utf-8")
    with pytest.raises(GlossaryError, match="top level"):
        load_glossary(broken)


def test_a_bad_article_reference_is_refused(tmp_path: Path) -> None:
    data = _raw()
    data["terms"][0]["articles"] = ["Article forty"]
    with pytest.raises(GlossaryError, match=re.escape("not like 'Art. 42(3)(c)'")):
        load_glossary(_write(tmp_path, data))


# --- the catalogues agree with it -----------------------------------------------------------


def glossary_disagreements(lang: str, glossary: Glossary) -> list[str]:
    """Each catalogue entry of ``lang`` whose message is a glossary term but whose
    translation is not the glossary's, said as ``domain: message -> translation``."""
    terms = glossary.by_english()
    found: list[str] = []
    for domain in DOMAINS:
        for message in catalogue(domain, lang):
            if not message.id or message.context is not None or not message.string:
                continue
            if not isinstance(message.id, str) or not isinstance(message.string, str):
                continue  # plural messages are sentences, never a bare term
            term = terms.get(message.id.strip().casefold())
            if term is None:
                continue
            wanted = term.term(lang)
            if message.string.strip().casefold() != wanted.casefold():
                found.append(f"{domain}: {message.id!r} -> {message.string!r}, glossary {wanted!r}")
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogues_use_the_glossary_terms(lang: str) -> None:
    disagreements = glossary_disagreements(lang, load_glossary())
    assert not disagreements, f"{lang}: " + "; ".join(disagreements)


def test_the_consistency_check_reaches_the_catalogues() -> None:
    """The check is not vacuous: several glossary terms are catalogue messages, in both
    the letters and the convention catalogues."""
    terms = load_glossary().by_english()
    hits = {
        domain: {
            m.id
            for m in catalogue(domain, "fr")
            if isinstance(m.id, str) and m.id.casefold() in terms
        }
        for domain in ("letters", "convention")
    }
    assert {"Traffic data", "Central authority", "Extradition", "Production order"} <= hits[
        "convention"
    ]
    assert {"Confiscation", "Seizure", "Freezing"} <= hits["letters"]


def test_the_consistency_check_catches_a_different_word() -> None:
    glossary = load_glossary()
    changed = glossary.model_copy(
        update={
            "terms": tuple(
                term.model_copy(
                    update={
                        "languages": {
                            **term.languages,
                            "fr": term.languages["fr"].model_copy(update={"term": "trafic"}),
                        }
                    }
                )
                if term.id == "traffic-data"
                else term
                for term in glossary.terms
            )
        }
    )
    disagreements = glossary_disagreements("fr", changed)
    assert disagreements == [
        "convention: 'Traffic data' -> 'Données relatives au trafic', glossary 'trafic'"
    ]

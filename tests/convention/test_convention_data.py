"""The bundled Convention data, read through the public API."""

import json

import pytest

from hanoi.convention import (
    CHAPTERS,
    KINDS,
    ArticleRef,
    UnknownEntryError,
    UnknownInstrumentError,
    get_convention,
)
from tests.raising import raises_check


def test_there_are_68_articles_numbered_contiguously() -> None:
    articles = get_convention().articles
    assert [a.number for a in articles] == list(range(1, 69))


@pytest.mark.parametrize(
    ("numeral", "first", "last"),
    [
        ("I", 1, 6),
        ("II", 7, 21),
        ("III", 22, 22),
        ("IV", 23, 34),
        ("V", 35, 52),
        ("VI", 53, 53),
        ("VII", 54, 56),
        ("VIII", 57, 58),
        ("IX", 59, 68),
    ],
)
def test_chapters_cover_the_digest_ranges(numeral: str, first: int, last: int) -> None:
    numbers = [a.number for a in get_convention().articles if a.chapter == numeral]
    assert numbers == list(range(first, last + 1))
    assert CHAPTERS[numeral][1:] == (first, last)


def test_article_confidence_follows_the_digest_tags() -> None:
    convention = get_convention()
    assert all(convention.article(n).confidence == "confirmed" for n in range(1, 16))
    assert convention.article(42).confidence == "unconfirmed"
    assert convention.article(64).confidence == "confirmed"
    assert convention.article(42).title.startswith("International cooperation for the purpose")


def test_unknown_article_is_an_error() -> None:
    with raises_check(UnknownEntryError, "article", match="69"):
        get_convention().article(69)


def test_instruments_are_keyed_by_kind_in_order() -> None:
    instruments = get_convention().instruments
    assert (
        tuple(instruments)
        == KINDS
        == (
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
        )
    )
    articles = {kind: instrument.article.article for kind, instrument in instruments.items()}
    assert articles == {
        "preservation": 42,
        "traffic-disclosure": 43,
        "mla": 40,
        "mla-stored-data": 44,
        "realtime-traffic": 45,
        "interception": 46,
        "extradition": 37,
        "police-information": 47,
        "spontaneous-information": 40,
        "confiscation": 50,
    }
    assert 51 in [ref.article for ref in instruments["spontaneous-information"].related]


def test_every_instrument_element_has_an_article_and_confidence() -> None:
    for instrument in get_convention().instruments.values():
        assert instrument.required_elements, instrument.kind
        for element in instrument.elements:
            assert str(element.article).startswith("Art. ")
            assert element.confidence in ("confirmed", "unconfirmed")
            assert element.label


def test_preservation_elements_cite_article_42_paragraph_3() -> None:
    preservation = get_convention().instrument("preservation")
    cited = {str(e.article) for e in preservation.elements if e.article.article == 42}
    assert cited == {f"Art. 42(3)({letter})" for letter in "abcdefg"}
    assert preservation.element("mla-to-follow").field == "mla_to_follow"
    minimum = next(r for r in preservation.time_rules if r.id == "preservation-minimum-period")
    assert (minimum.days, minimum.confidence) == (60, "unconfirmed")
    assert preservation.dual_criminality.requirement == "not_required"


def test_mla_summary_of_facts_is_conditional_on_service_of_documents() -> None:
    mla = get_convention().instrument("mla")
    (element,) = mla.conditional_elements
    assert element.id == "summary-of-facts"
    assert element.unless is not None
    assert (element.unless.field, element.unless.equals) == (
        "assistance_type",
        "service_of_documents",
    )
    assert mla.dual_criminality.requirement == "may_be_required"


def test_unknown_instrument_lists_valid_kinds() -> None:
    with pytest.raises(UnknownInstrumentError) as caught:
        get_convention().instrument("wiretap")
    message = str(caught.value)
    assert "'wiretap'" in message
    assert all(kind in message for kind in KINDS)


def test_offence_list() -> None:
    convention = get_convention()
    expected = {"UNCC-04", "UNCC-SC"} | {f"UNCC-{n:02d}" for n in range(7, 18)}
    assert {o.code for o in convention.offences} == expected
    assert convention.offence("UNCC-SC").minimum_max_penalty_years == 4
    assert str(convention.offence("UNCC-SC").article) == "Art. 2(h)"
    assert "security-breach" in [e.id for e in convention.offence("UNCC-07").optional_elements]
    with raises_check(UnknownEntryError, "offence"):
        convention.offence("UNCC-99")


def test_live_data_only_through_the_live_instruments() -> None:
    convention = get_convention()
    assert convention.data_category("content_data").live == ("interception",)
    assert convention.data_category("traffic_data").live == ("realtime-traffic",)
    assert convention.data_category("subscriber_information").live == ()
    assert convention.instrument("traffic-disclosure").data_categories == ("traffic_data",)
    assert str(convention.data_category("subscriber_information").article) == "Art. 2(f)"


def test_grounds_have_no_confirmed_political_offence_ground() -> None:
    convention = get_convention()
    assert not any("political-offence" in g.id for g in convention.refusal_grounds)
    assert (
        "interferes-with-domestic-proceedings" in convention.instrument("mla").postponement_grounds
    )
    for instrument in convention.instruments.values():
        for ground_id in instrument.refusal_grounds:
            assert convention.refusal_ground(ground_id).article.article in (37, 40, 42, 50)


def test_rules_carry_article_severity_and_confidence() -> None:
    rules = {rule.id: rule for rule in get_convention().rules}
    assert rules["preservation-minimum-period"].severity == "warning"
    assert rules["preservation-mla-follows"].applies_to == ("preservation",)
    assert rules["states-differ"].applies_to == KINDS
    assert str(rules["serious-crime-penalty"].article) == "Art. 2(h)"


@pytest.mark.parametrize(
    ("text", "rendered", "parts"),
    [
        ("Art. 42(3)(c)", "Art. 42(3)(c)", (42, 3, "c")),
        ("2(f)", "Art. 2(f)", (2, None, "f")),
        ("Art. 40(8)", "Art. 40(8)", (40, 8, None)),
        ("Art. 37", "Art. 37", (37, None, None)),
    ],
)
def test_article_ref_parses_and_renders(
    text: str, rendered: str, parts: tuple[object, ...]
) -> None:
    ref = ArticleRef.model_validate(text)
    assert str(ref) == rendered
    assert (ref.article, ref.paragraph, ref.letter) == parts
    assert ArticleRef.model_validate(ref.model_dump(mode="json")) == ref


@pytest.mark.parametrize("text", ["Art. 69", "Article 4", "Art. 4(c)(3)", ""])
def test_article_ref_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError):
        ArticleRef.model_validate(text)


def test_everything_dumps_to_json() -> None:
    convention = get_convention()
    dumped = json.loads(json.dumps(convention.model_dump(mode="json")))
    assert len(dumped["articles"]) == 68
    assert list(dumped["instruments"]) == list(KINDS)
    element = dumped["instruments"]["preservation"]["elements"][5]
    assert element["article"] == "Art. 42(3)(a)"
    assert json.dumps(convention.instrument("mla").model_dump(mode="json"))


def test_get_convention_is_cached() -> None:
    assert get_convention() is get_convention()

"""The check asks the depositary record whether the Convention binds both States of a
request on its date: warnings when it does not, in either direction, and none when it does."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hanoi.cases.check import CheckReport, Problem, check_document
from hanoi.cases.documents import parse_document_obj
from hanoi.treaty import demo_record
from hanoi.treaty.record import TreatyRecord
from tests.treaty.histories import CODES, HANOI, ratifier, record, row, state

TODAY = date(2027, 12, 1)
EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "requests"
RULES = ("convention-binds-later", "convention-not-binding")


def _check(treaty: TreatyRecord, today: date = TODAY, **changes: Any) -> CheckReport:
    data = json.loads((EXAMPLES / "mla.json").read_text(encoding="utf-8"))
    data.update(changes)
    return check_document(parse_document_obj(data), treaty=treaty, today=today)


def _treaty(report: CheckReport) -> list[Problem]:
    return [p for p in report.problems if p.rule in RULES]


def _forty(first: date = date(2027, 1, 1)) -> list[dict[str, Any]]:
    """40 States ratifying on 40 days in a row from ``first``: in force 90 days after."""
    return [ratifier(code, first + timedelta(days=i)) for i, code in enumerate(CODES[:40])]


# 40th deposit on 2027-02-09: the Convention enters into force on 2027-05-10.
IN_FORCE = date(2027, 5, 10)


def test_no_warning_when_both_are_bound_on_the_requests_date() -> None:
    treaty = record(_forty())
    for pair in ((CODES[0], CODES[39]), (CODES[39], CODES[0])):
        report = _check(
            treaty, requesting_state=pair[0], requested_state=pair[1], date_of_request="2027-11-30"
        )
        assert _treaty(report) == []
    # On the day of entry into force itself both are bound.
    report = _check(
        treaty, requesting_state="AD", requested_state="AE", date_of_request=str(IN_FORCE)
    )
    assert _treaty(report) == []


def test_before_entry_into_force_both_states_are_warned_of_with_the_day() -> None:
    report = _check(
        record(_forty()), requesting_state="AD", requested_state="AE", date_of_request="2027-05-09"
    )
    problems = _treaty(report)
    assert [(p.rule, p.path) for p in problems] == [
        ("convention-binds-later", "requesting_state"),
        ("convention-binds-later", "requested_state"),
    ]
    assert problems[1].message == (
        "The Convention is not yet in force between AD and AE on 2027-05-09: it enters into "
        "force for AE on 2027-05-10."
    )
    assert all(p.severity == "warning" for p in problems)
    # Art. 65(1), on confirmed rows: confirmed.
    assert {(p.article, p.confidence) for p in problems} == {("Art. 65(1)", "confirmed")}
    assert problems[1].values["from_date"] == IN_FORCE


def test_a_later_party_is_bound_30_days_after_its_deposit_unconfirmed() -> None:
    late = ratifier(CODES[40], date(2027, 9, 1))
    treaty = record([*_forty(), late])
    # The late State requests: it is the requesting side that is not yet bound.
    report = _check(
        treaty, requesting_state=CODES[40], requested_state="AD", date_of_request="2027-09-15"
    )
    (problem,) = _treaty(report)
    assert (problem.rule, problem.path) == ("convention-binds-later", "requesting_state")
    assert problem.message.endswith(f"it enters into force for {CODES[40]} on 2027-10-01.")
    assert (problem.article, problem.confidence) == ("Art. 65(2)", "unconfirmed")
    # The other way round, it is the requested State's field.
    report = _check(
        treaty, requesting_state="AD", requested_state=CODES[40], date_of_request="2027-09-15"
    )
    assert [(p.rule, p.path) for p in _treaty(report)] == [
        ("convention-binds-later", "requested_state")
    ]
    # From its day on, nothing to say.
    report = _check(
        treaty, requesting_state="AD", requested_state=CODES[40], date_of_request="2027-10-01"
    )
    assert _treaty(report) == []


def test_a_state_without_an_instrument_is_named_in_either_direction() -> None:
    signed_only = state(CODES[40], row("signature", HANOI))
    treaty = record([*_forty(), signed_only])
    for requesting, requested, path in (
        ("AD", CODES[40], "requested_state"),
        (CODES[40], "AD", "requesting_state"),
    ):
        report = _check(
            treaty,
            requesting_state=requesting,
            requested_state=requested,
            date_of_request="2027-11-30",
        )
        (problem,) = _treaty(report)
        assert (problem.rule, problem.path) == ("convention-not-binding", path)
        assert problem.message == (
            f"The Convention is not in force between {requesting} and {requested} on "
            f"2027-11-30: {CODES[40]} has deposited no instrument of ratification, "
            "acceptance, approval or accession."
        )
    # A State the record does not list at all has, on the record, deposited nothing.
    report = _check(
        treaty, requesting_state="AD", requested_state="ZW", date_of_request="2027-11-30"
    )
    assert [p.values["state"] for p in _treaty(report)] == ["ZW"]


def test_with_too_few_instruments_the_count_is_given() -> None:
    treaty = record(_forty()[:39])
    report = _check(
        treaty, requesting_state="AD", requested_state="AE", date_of_request="2027-11-30"
    )
    problems = _treaty(report)
    assert [p.path for p in problems] == ["requesting_state", "requested_state"]
    assert problems[0].message.endswith(
        "AD has deposited its instrument, but only 39 of the 40 instruments the Convention "
        "needs to enter into force are deposited."
    )


def test_a_denunciation_in_effect_rests_on_article_67() -> None:
    leaving = ratifier(CODES[0], date(2027, 1, 1), row("denunciation", date(2028, 1, 10)))
    treaty = record([leaving, *_forty()[1:], ratifier(CODES[40], date(2027, 2, 10))])
    report = _check(
        treaty,
        date(2029, 3, 1),
        requesting_state="AE",
        requested_state="AD",
        date_of_request="2029-02-01",
    )
    (problem,) = _treaty(report)
    assert (problem.rule, problem.path) == ("convention-not-binding", "requested_state")
    assert "AD has denounced the Convention" in problem.message
    assert (problem.article, problem.confidence) == ("Art. 67", "unconfirmed")
    # Before the denunciation takes effect (one year after), AD is still bound.
    report = _check(
        treaty,
        date(2029, 3, 1),
        requesting_state="AE",
        requested_state="AD",
        date_of_request="2028-12-01",
    )
    assert _treaty(report) == []


def test_without_a_date_the_request_is_checked_for_today() -> None:
    treaty = record(_forty())
    report = _check(
        treaty, date(2027, 5, 1), requesting_state="AD", requested_state="AE", date_of_request=None
    )
    assert [p.values["date"] for p in _treaty(report)] == [date(2027, 5, 1)] * 2


def test_the_demo_record_binds_xa_and_xb_but_not_xc() -> None:
    demo = demo_record()
    assert _treaty(_check(demo, date(2026, 11, 29), date_of_request="2026-11-28")) == []
    report = _check(demo, date(2026, 11, 29), requested_state="XC", date_of_request="2026-11-28")
    (problem,) = _treaty(report)
    assert (problem.rule, problem.path, problem.values["state"]) == (
        "convention-not-binding",
        "requested_state",
        "XC",
    )
    report = _check(
        demo,
        date(2026, 11, 29),
        requesting_state="XC",
        requested_state="XB",
        language="en",
        date_of_request="2026-11-28",
    )
    assert [(p.path, p.values["state"]) for p in _treaty(report)] == [("requesting_state", "XC")]
    # Before the demo Convention's entry into force (8 June 2026): both, with the day.
    report = _check(demo, date(2026, 11, 29), date_of_request="2026-06-07")
    assert [str(p.values["from_date"]) for p in _treaty(report)] == ["2026-06-08"] * 2


def test_the_default_record_is_the_one_that_came_with_the_directory() -> None:
    data = json.loads((EXAMPLES / "mla.json").read_text(encoding="utf-8"))
    data["requested_state"] = "XC"
    # No directory given: the fixture's States, with the demo federation's record.
    report = check_document(parse_document_obj(data), today=date(2026, 11, 29))
    assert [p.rule for p in _treaty(report)] == ["convention-not-binding"]


# --- the letter names the legal basis as the record allows -----------------------------


def _letter_html(lang: str, **changes: Any) -> str:
    from hanoi.cases.render import render_html

    data = json.loads((EXAMPLES / "mla.json").read_text(encoding="utf-8"))
    data.update(changes)
    return render_html(parse_document_obj(data), lang)


def test_a_letter_between_bound_states_rests_on_the_convention() -> None:
    html = _letter_html("en", date_of_request="2026-11-28")
    assert "under Article 40 of the United Nations Convention against Cybercrime" in html
    assert "modelled on Article" not in html
    assert "legal-basis" not in html.split("</style>", 1)[1]


def test_a_letter_between_states_not_both_bound_does_not_claim_the_convention() -> None:
    html = _letter_html("en", requested_state="XC", date_of_request="2026-11-28")
    body = html.split("</style>", 1)[1]
    assert "under Article" not in body
    assert "modelled on Article 40 of the United Nations Convention against Cybercrime" in body
    assert "does not bind both" in body and "this request does not rest on the Convention" in body
    assert "Cascadia (XC)" in body
    # Said in the letter's language too.
    french = _letter_html("fr", requested_state="XC", date_of_request="2026-11-28")
    assert "ne se fonde pas sur la Convention" in french
    assert "sur le modèle de l&#39;article 40" in french

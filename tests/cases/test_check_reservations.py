"""The check shows a reservation or declaration of the requested State beside the offence
it touches: one under the article the offence is defined in, in effect on the request's
date, at that offence's path, with the row's provision, date, source and confidence."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from hanoi.cases.check import CheckReport, Problem, check_document
from hanoi.cases.documents import parse_document_obj
from hanoi.treaty.record import TreatyRecord
from tests.treaty.histories import HANOI, SOURCE, record, row, state

TODAY = date(2027, 12, 1)
EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "requests"
RULES = ("offence-reservation", "offence-declaration")
WEB = "https://verdragen.nl/nl/Verdrag/Details/013891_p.html"


def _offence(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "description": "Sold stolen online banking credentials to others.",
        "maximum_penalty_years": 5,
        "optional_elements": [],
        "domestic_provision": "Criminal Code, section 302",
    }


def _check(treaty: TreatyRecord, *codes: str, **changes: Any) -> CheckReport:
    data = json.loads((EXAMPLES / "mla.json").read_text(encoding="utf-8"))
    data["offences"] = [_offence(code) for code in codes]
    data["date_of_request"] = "2027-11-30"
    data.update(changes)
    return check_document(parse_document_obj(data), treaty=treaty, today=TODAY)


def _touching(report: CheckReport) -> list[Problem]:
    return [p for p in report.problems if p.rule in RULES]


def _treaty(*xb_rows: dict[str, Any]) -> TreatyRecord:
    """XA and XB signed at Hanoi and ratified; XB also did ``xb_rows``; XC only signed."""
    return record(
        [
            state("XA", row("signature", HANOI), row("ratification", date(2026, 3, 1))),
            state(
                "XB",
                row("signature", HANOI),
                row("ratification", date(2026, 4, 1)),
                *xb_rows,
            ),
        ],
        fictional=True,
    )


RESERVATION_11_3 = row(
    "reservation", HANOI, article=11, paragraph=3, source=WEB, confidence="unconfirmed"
)


def test_a_reservation_under_art_11_3_is_shown_at_the_art_11_offence() -> None:
    report = _check(_treaty(RESERVATION_11_3), "UNCC-13", "UNCC-11")
    problems = _touching(report)
    assert [(p.rule, p.path) for p in problems] == [("offence-reservation", "offences.1.code")]
    problem = problems[0]
    assert problem.message == (
        f"XB made a reservation under Art. 11(3) on 2025-10-25 (source {WEB}): "
        "it may limit cooperation for this offence."
    )
    assert (problem.severity, problem.article, problem.confidence) == (
        "warning",
        "Art. 11(3)",
        "unconfirmed",
    )
    assert problem.values == {
        "state": "XB",
        "provision": "Art. 11(3)",
        "date": HANOI,
        "source": WEB,
    }
    assert problem.template is not None
    english = {k: v.isoformat() if isinstance(v, date) else v for k, v in problem.values.items()}
    assert problem.template % english == problem.message


def test_a_confirmed_row_gives_a_confirmed_problem() -> None:
    reservation = row("reservation", HANOI, article=11, paragraph=3)
    (problem,) = _touching(_check(_treaty(reservation), "UNCC-11"))
    assert (problem.confidence, problem.values["source"]) == ("confirmed", SOURCE)


def test_a_request_to_the_other_state_is_not_warned() -> None:
    report = _check(
        _treaty(RESERVATION_11_3), "UNCC-11", requesting_state="XB", requested_state="XA"
    )
    assert _touching(report) == []


def test_an_offence_under_another_article_is_not_warned() -> None:
    assert _touching(_check(_treaty(RESERVATION_11_3), "UNCC-07", "UNCC-13")) == []


def test_a_reservation_on_dispute_settlement_touches_no_offence() -> None:
    reservation = row("reservation", HANOI, article=63, paragraph=3)
    codes = ("UNCC-04", "UNCC-07", "UNCC-09", "UNCC-11", "UNCC-13", "UNCC-17")
    assert _touching(_check(_treaty(reservation), *codes)) == []


def test_a_reservation_withdrawn_before_the_request_no_longer_counts() -> None:
    withdrawal = row("reservation-withdrawal", date(2027, 6, 1), article=11, paragraph=3)
    treaty = _treaty(RESERVATION_11_3, withdrawal)
    assert _touching(_check(treaty, "UNCC-11")) == []
    # A request dated before the withdrawal still meets the reservation.
    before = _check(treaty, "UNCC-11", date_of_request="2027-05-31")
    assert [p.path for p in _touching(before)] == ["offences.0.code"]


def test_a_reservation_made_after_the_request_does_not_count_yet() -> None:
    later = row("reservation", date(2026, 4, 1), article=11, paragraph=3)
    treaty = _treaty(later)
    assert _touching(_check(treaty, "UNCC-11", date_of_request="2026-03-31")) == []
    assert len(_touching(_check(treaty, "UNCC-11", date_of_request="2026-04-01"))) == 1


def test_a_declaration_under_the_offence_article_is_shown_too() -> None:
    declaration = row("declaration", date(2026, 4, 1), article=9, detail="serious harm required")
    (problem,) = _touching(_check(_treaty(declaration), "UNCC-11", "UNCC-09"))
    assert (problem.rule, problem.path, problem.article) == (
        "offence-declaration",
        "offences.1.code",
        "Art. 9",
    )
    assert problem.message.startswith("XB made a declaration under Art. 9 on 2026-04-01 ")


def test_azerbaijan_in_the_shipped_record_reserves_under_art_11_3() -> None:
    from hanoi.treaty import shipped_record

    report = _check(
        shipped_record(),
        "UNCC-11",
        "UNCC-07",
        requesting_state="XA",
        requested_state="AZ",
        language="en",
    )
    touching = {(p.path, p.article) for p in _touching(report)}
    assert touching == {("offences.0.code", "Art. 11(3)"), ("offences.1.code", "Art. 7(2)")}

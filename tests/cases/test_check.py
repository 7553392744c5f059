"""The checker: missing elements, conditional elements and every cross-field rule."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hanoi.cases.check import IMPLEMENTED_RULES, CheckReport, Term, check_document, message_id
from hanoi.cases.documents import KINDS, new_document, parse_document, parse_document_obj
from hanoi.convention import get_convention
from hanoi.directory.fixture import load_fixture_directory
from hanoi.directory.states import StateDirectory, StateInfo
from hanoi.treaty import demo_record
from hanoi.treaty.record import Action, ActionKind

TODAY = date(2026, 11, 29)
EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "requests"


def _example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def _check(data: dict[str, Any], **kwargs: Any) -> CheckReport:
    return check_document(parse_document_obj(data), today=TODAY, **kwargs)


def _found(report: CheckReport) -> set[tuple[str, str]]:
    return {(p.rule, p.path) for p in report.problems}


@pytest.mark.parametrize("kind", KINDS)
def test_every_example_passes_without_problems(kind: str) -> None:
    doc = parse_document((EXAMPLES / f"{kind}.json").read_bytes())
    report = check_document(doc, today=TODAY)
    assert report.problems == [], [p.message for p in report.problems]
    assert report.ok
    assert (report.errors, report.warnings) == (0, 0)


def test_example_headers_are_the_demo_pair() -> None:
    for kind in KINDS:
        data = _example(kind)
        assert (data["requesting_state"], data["requested_state"], data["language"]) == (
            "XA",
            "XB",
            "en",
        )


def test_blank_preservation_lists_every_missing_element() -> None:
    blank = parse_document('{"kind": "preservation"}')
    report = check_document(blank, today=TODAY)
    assert _found(report) == {
        ("requesting-state", "requesting_state"),
        ("requested-state", "requested_state"),
        ("reference", "reference"),
        ("date-of-request", "date_of_request"),
        ("language", "language"),
        ("authority", "requesting_authority.name"),
        ("offences", "offences"),
        ("summary-of-facts", "summary_of_facts"),
        ("data-items", "data_items"),
        ("link-to-offence", "link_to_offence"),
        ("necessity", "necessity"),
        ("mla-to-follow", "mla_to_follow"),
        ("do-not-notify", "do_not_notify_user"),
    }
    assert not report.ok
    assert (report.errors, report.warnings) == (12, 1)
    by_rule = {p.rule: p for p in report.problems}
    assert by_rule["mla-to-follow"].article == "Art. 42(3)(f)"
    assert by_rule["mla-to-follow"].confidence == "unconfirmed"
    assert by_rule["do-not-notify"].severity == "warning"
    # Problems come in the instrument's element order.
    order = [e.id for e in get_convention().instrument("preservation").elements]
    assert [p.rule for p in report.problems] == [i for i in order if i in by_rule]


@pytest.mark.parametrize("kind", KINDS)
def test_blank_draft_of_every_kind_is_not_ok(kind: str) -> None:
    report = check_document(new_document(kind), today=TODAY)
    assert not report.ok
    elements = {e.id for e in get_convention().instrument(kind).elements}
    assert {p.rule for p in report.problems} <= elements | IMPLEMENTED_RULES
    assert "authority" in {p.rule for p in report.problems}


def test_list_items_are_checked_one_by_one() -> None:
    data = _example("preservation")
    data["data_items"][1]["description"] = "   "
    data["offences"][0]["code"] = None
    data["data_items"][2]["custodian"] = None
    report = _check(data)
    assert _found(report) == {
        ("offence-code", "offences.0.code"),
        ("data-description", "data_items.1.description"),
        ("custodian", "data_items.2.custodian"),
    }
    assert [p.severity for p in report.problems] == ["error", "error", "warning"]


def test_missing_collection_period_is_reported_for_live_collection() -> None:
    for kind in ("realtime-traffic", "interception"):
        data = _example(kind)
        del data["collection_period"]
        assert _found(_check(data)) == {
            ("collection-start", "collection_period.start"),
            ("collection-end", "collection_period.end"),
        }


def test_mere_service_of_documents_needs_no_summary_of_facts() -> None:
    data = _example("mla")
    data["summary_of_facts"] = None
    data["assistance_type"] = "service_of_documents"
    assert _check(data).ok
    data["assistance_type"] = "taking_evidence"
    report = _check(data)
    assert _found(report) == {("summary-of-facts", "summary_of_facts")}
    assert report.problems[0].article == "Art. 40(15)(c)"


def test_spontaneous_information_on_proceeds_needs_property() -> None:
    data = _example("spontaneous-information")
    data["property_items"] = []
    assert _found(_check(data)) == {("property-items", "property_items")}
    data["relates_to_proceeds"] = False
    assert _check(data).ok


def test_confiscation_order_only_needed_for_confiscation() -> None:
    data = _example("confiscation")
    data["order_reference"] = None
    data["third_party_protection"] = None
    assert _found(_check(data)) == {
        ("order", "order_reference"),
        ("third-party-protection", "third_party_protection"),
    }
    data["measure"] = "freezing"
    assert _check(data).ok


def _rule_cases() -> dict[str, tuple[str, Any, str, str]]:
    """rule id -> (kind, mutation, expected path, text expected in the message)."""

    def setter(**changes: Any) -> Any:
        def mutate(data: dict[str, Any]) -> None:
            data.update(changes)

        return mutate

    def offence(**changes: Any) -> Any:
        def mutate(data: dict[str, Any]) -> None:
            data["offences"][0].update(changes)

        return mutate

    def content_in_traffic_disclosure(data: dict[str, Any]) -> None:
        data["data_items"][0]["category"] = "content_data"

    return {
        "states-differ": ("mla", setter(requested_state="XA"), "requested_state", "XA"),
        "date-not-future": (
            "preservation",
            setter(date_of_request="2026-12-01"),
            "date_of_request",
            "2026-12-01",
        ),
        "period-order": (
            "preservation",
            setter(time_period={"start": "2026-11-01", "end": "2026-10-01"}),
            "time_period.start",
            "Time span of the data: the period starts on 2026-11-01, after it ends on 2026-10-01",
        ),
        "deadline-not-past": (
            "mla",
            setter(deadline="2026-11-28"),
            "deadline",
            "Requested deadline (2026-11-28) is already past: today is 2026-11-29",
        ),
        "collection-not-past": (
            "interception",
            setter(collection_period={"start": "2026-11-01", "end": "2026-11-28"}),
            "collection_period.end",
            "Collection period ends on 2026-11-28, before today (2026-11-29)",
        ),
        "offence-code-known": ("mla", offence(code="UNCC-99"), "offences.0.code", "UNCC-99"),
        "offence-optional-element-known": (
            "preservation",
            lambda d: d["offences"][1].update(optional_elements=["security-breach", "sunspots"]),
            "offences.1.optional_elements.1",
            "sunspots",
        ),
        "serious-crime-penalty": (
            "mla-stored-data",
            offence(code="UNCC-SC", maximum_penalty_years=3),
            "offences.0.maximum_penalty_years",
            "at least 4 years",
        ),
        "data-category-fits": (
            "traffic-disclosure",
            content_in_traffic_disclosure,
            "data_items.0.category",
            "Content data",
        ),
        "preservation-mla-follows": (
            "preservation",
            setter(mla_to_follow=False),
            "mla_to_follow",
            "will follow",
        ),
        "preservation-minimum-period": (
            "preservation",
            setter(preservation_days=30),
            "preservation_days",
            "60-day",
        ),
        "requested-state-known": ("mla", setter(requested_state="QQ"), "requested_state", "QQ"),
        "convention-binds-later": (
            "mla",
            setter(requesting_state="XC", date_of_request="2026-05-01"),
            "requested_state",
            "it enters into force for XB on 2026-06-08",
        ),
        "convention-not-binding": (
            "mla",
            setter(requested_state="XC"),
            "requested_state",
            "XC has deposited no instrument",
        ),
        "language-accepted": ("preservation", setter(language="fr"), "language", "en, es"),
        # The demo record: XB reserved under Art. 11(3) with its acceptance.
        "offence-reservation": (
            "mla",
            offence(code="UNCC-11"),
            "offences.0.code",
            "XB made a reservation under Art. 11(3) on 2026-02-02",
        ),
        # With RULE_TREATIES' declaration of XB under Art. 11(3).
        "offence-declaration": (
            "mla",
            offence(code="UNCC-11"),
            "offences.0.code",
            "XB made a declaration under Art. 11(3) on 2026-02-02",
        ),
    }


RULE_CASES = _rule_cases()
#: Rules checked against a record other than the demo's (the fixture directory's default).
RULE_TREATIES = {
    "offence-declaration": demo_record().with_action(
        "XB",
        Action(
            kind=ActionKind.DECLARATION,
            date=date(2026, 2, 2),
            article=11,
            paragraph=3,
            source="https://depositary.demo.invalid/treaty/XB",
            confidence="confirmed",
        ),
    )
}


def test_every_implemented_rule_has_a_triggering_case() -> None:
    assert set(RULE_CASES) == IMPLEMENTED_RULES == {r.id for r in get_convention().rules}


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_each_rule_triggers_on_a_crafted_document(rule_id: str) -> None:
    kind, mutate, path, text = RULE_CASES[rule_id]
    data = _example(kind)
    mutate(data)
    treaty = RULE_TREATIES.get(rule_id)
    report = _check(data) if treaty is None else _check(data, treaty=treaty)
    problems = [p for p in report.problems if p.rule == rule_id]
    assert len(problems) == 1, report.problems
    (problem,) = problems
    rule = get_convention().rule(rule_id)
    assert problem.path == path
    assert text in problem.message
    assert problem.message.endswith(".")
    assert (problem.severity, problem.confidence, problem.article) == (
        rule.severity,
        rule.confidence,
        str(rule.article),
    )
    assert report.ok == (rule.severity == "warning")


def test_content_asked_live_in_realtime_traffic_points_to_interception() -> None:
    data = _example("realtime-traffic")
    data["data_items"][0]["category"] = "content_data"
    (problem,) = _check(data).problems
    assert problem.rule == "data-category-fits"
    assert "use interception instead" in problem.message


def test_subscriber_information_cannot_be_collected_live() -> None:
    data = _example("interception")
    data["data_items"][0]["category"] = "subscriber_information"
    (problem,) = _check(data).problems
    assert "no instrument asks for live subscriber information" in problem.message


def test_serious_crime_without_penalty_is_an_error() -> None:
    data = _example("mla")
    data["offences"][0].update(code="UNCC-SC", maximum_penalty_years=None)
    (problem,) = _check(data).problems
    assert "no maximum penalty" in problem.message
    data["offences"][0]["maximum_penalty_years"] = 4
    assert _check(data).ok


def test_date_today_is_fine() -> None:
    data = _example("mla")
    data["date_of_request"] = TODAY.isoformat()
    assert _check(data).ok


def test_all_problems_are_returned_at_once_elements_before_rules() -> None:
    data = _example("preservation")
    data.update(necessity="", mla_to_follow=False, language="de", requested_state="XA")
    report = _check(data)
    assert [p.rule for p in report.problems] == [
        "necessity",
        "states-differ",
        "preservation-mla-follows",
        "language-accepted",
    ]


def test_directory_can_be_supplied() -> None:
    only_xb = StateDirectory(
        [
            StateInfo(
                code="XB",
                name="Borealis",
                status="party",
                languages=("es",),
                central_authority="CA",
                point_of_contact_24_7="POC",
                time_zone="UTC",
            )
        ]
    )
    report = _check(_example("mla"), directory=only_xb, treaty=demo_record())
    (problem,) = report.problems
    assert problem.rule == "language-accepted"
    assert problem.message == "XB does not accept requests in 'en'; acceptable languages: es."


def test_report_dumps_to_json() -> None:
    report = check_document(parse_document('{"kind": "mla"}'), today=TODAY)
    dumped = json.loads(report.model_dump_json())
    assert dumped["kind"] == "mla"
    assert dumped["ok"] is False
    assert dumped["errors"] == len(dumped["problems"]) - dumped["warnings"]
    first = dumped["problems"][0]
    assert {
        "path",
        "message",
        "article",
        "severity",
        "confidence",
        "basis",
        "rule",
        "template",
        "values",
    } == (set(first))
    # The wording for pages fills in to the very message the API and the CLI say.
    assert first["template"] == "Missing required element: %(element)s."
    assert (
        first["template"] % {"element": first["values"]["element"]["message"]} == (first["message"])
    )


def test_problems_say_whether_the_treaty_or_the_platform_asks() -> None:
    # Art. 43 gives no list of contents: what a traffic-disclosure request lacks is the
    # platform's requirement, cited to the article it serves.
    report = check_document(parse_document('{"kind": "traffic-disclosure"}'), today=TODAY)
    authority = next(p for p in report.problems if p.rule == "authority")
    assert (authority.article, authority.basis) == ("Art. 43", "platform")
    assert {p.basis for p in report.problems} == {"platform"}
    # Art. 42(3) lists the preservation request's contents.
    report = check_document(parse_document('{"kind": "preservation"}'), today=TODAY)
    authority = next(p for p in report.problems if p.rule == "authority")
    assert (authority.article, authority.basis) == ("Art. 42(3)(a)", "convention")
    # The offences of a general request rest on the Art. 35(1) scope, not on a contents list.
    report = check_document(parse_document('{"kind": "mla"}'), today=TODAY)
    by_rule = {p.rule: p for p in report.problems}
    assert (by_rule["offences"].article, by_rule["offences"].basis) == ("Art. 35(1)", "platform")
    assert (by_rule["authority"].article, by_rule["authority"].basis) == (
        "Art. 40(15)(a)",
        "convention",
    )


def test_every_problem_says_its_message_again_from_its_template_and_values() -> None:
    def english(value: object) -> object:
        if isinstance(value, Term):
            return value.message % {k: english(v) for k, v in value.values.items()}
        return value.isoformat() if isinstance(value, date) else value

    document = parse_document(
        '{"kind": "mla", "requesting_state": "XB", "requested_state": "XB", "language": "fr",'
        ' "offences": [{"code": "NOPE"}, {"code": "UNCC-07", "optional_elements": ["x"]}],'
        ' "date_of_request": "2030-01-01", "deadline": "2020-01-01"}'
    )
    report = check_document(document, today=TODAY)
    assert len({p.rule for p in report.problems}) > 5
    for problem in report.problems:
        assert problem.template is not None
        values = {k: english(v) for k, v in problem.values.items()}
        assert problem.template % values == problem.message, problem.rule
    assert "'%(code)s'" in message_id("Offence code {code!r} is not known.")
    assert message_id("{n} % of {m}") == "%(n)s %% of %(m)s"


def test_fixture_directory_has_the_demo_states() -> None:
    directory = load_fixture_directory()
    assert [s.code for s in directory.states] == ["XA", "XB", "XC"]
    assert directory.acceptable_languages("XB") == ("en", "es")
    assert directory.acceptable_languages("XC") == ("fr", "en")
    assert directory.acceptable_languages("ZZ") == ()
    assert directory.state("ZZ") is None
    xa = directory.state("XA")
    assert xa is not None and xa.fictional and xa.status == "party"
    assert directory is load_fixture_directory()


def test_a_deadline_today_is_still_met_and_one_past_is_refused() -> None:
    for kind in ("mla", "mla-stored-data"):
        data = _example(kind)
        data["deadline"] = TODAY.isoformat()
        assert _check(data).ok
        data["deadline"] = "2026-11-28"
        report = _check(data)
        assert _found(report) == {("deadline-not-past", "deadline")}
        assert not report.ok


def test_a_collection_period_over_before_today_is_refused_for_live_collection() -> None:
    for kind in ("realtime-traffic", "interception"):
        data = _example(kind)
        data["collection_period"] = {"start": "2026-11-01", "end": TODAY.isoformat()}
        assert _check(data).ok, "collection may end today"
        data["collection_period"] = {"start": "2026-11-01", "end": "2026-11-20"}
        assert _found(_check(data)) == {("collection-not-past", "collection_period.end")}
    # Data already stored may well lie in the past: only live collection is refused.
    data = _example("mla")
    data["time_period"] = {"start": "2020-01-01", "end": "2020-02-01"}
    assert _check(data).ok


def test_a_live_period_both_reversed_and_past_gets_both_problems_by_label() -> None:
    data = _example("realtime-traffic")
    data["collection_period"] = {"start": "2026-11-20", "end": "2026-11-10"}
    report = _check(data)
    assert _found(report) == {
        ("period-order", "collection_period.start"),
        ("collection-not-past", "collection_period.end"),
    }
    for problem in report.problems:
        assert problem.message.startswith("Collection period")
        assert "collection_period" not in problem.message, "labels, not paths"

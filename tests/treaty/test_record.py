"""The depositary record refuses what cannot be, and keeps what it is given byte for byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hanoi.errors import InvalidInput
from hanoi.treaty import SHIPPED_RECORD
from hanoi.treaty.record import (
    Action,
    ActionKind,
    TreatyRecordError,
    dump_record,
    load_record,
    parse_record,
    save_record,
)
from tests.treaty.histories import HANOI, SOURCE, ratifier, record, row, state

DEMO_RECORD = Path(__file__).resolve().parents[2] / "src/hanoi/demo/data/treaty-record.yaml"


def refused(check: str, *states: dict[str, object], **extra: object) -> str:
    with pytest.raises(TreatyRecordError) as caught:
        record(states, **extra)
    assert caught.value.check == check, caught.value
    return str(caught.value)


def test_a_row_without_a_source_is_refused_saying_so() -> None:
    bare = {"kind": "signature", "date": HANOI, "confidence": "confirmed"}
    message = refused("source", state("FR", bare))
    assert "signature of 2025-10-25: no source" in message
    assert "depositary notification number" in message
    empty = {**bare, "source": "  "}
    assert "no source" in refused("source", state("FR", empty))
    assert "neither" in refused("source", state("FR", {**bare, "source": "the newspaper"}))
    assert isinstance(TreatyRecordError("x", check="source"), InvalidInput)


def test_sources_are_notification_numbers_or_https_addresses() -> None:
    for source in ("C.N.196.2025.TREATIES-XVIII.16", "https://treaties.un.org/doc/x%20y.xml"):
        record([state("FR", {**row("signature", HANOI), "source": source})])
    for source in ("http://example.org/x", "C.N.196.TREATIES", "https://exa mple.org"):
        refused("source", state("FR", {**row("signature", HANOI), "source": source}))


def test_unknown_fields_and_non_dates_are_refused() -> None:
    with pytest.raises(
        TreatyRecordError, match=r"states\[FR\]\.actions\[0\]\.colour: Extra inputs"
    ):
        record([state("FR", row("signature", HANOI, colour="blue"))])
    with pytest.raises(TreatyRecordError, match="date"):
        record([state("FR", row("signature", "25 Oct 2025"))])
    with pytest.raises(TreatyRecordError, match="date"):
        record([state("FR", row("signature", 20251025))])
    with pytest.raises(TreatyRecordError, match="confidence"):
        record([state("FR", {**row("signature", HANOI), "confidence": "likely"})])


def test_codes_are_iso_3166_alpha_3_stored_as_alpha_2() -> None:
    loaded = record([state("FRA", row("signature", HANOI))])
    assert [s.code for s in loaded.states] == ["FR"]
    assert loaded.state("fra") is not None
    assert "not an ISO 3166-1 code" in refused("code", state("QQQ", row("signature", HANOI)))
    assert "user-assigned" in refused("code", state("XA", row("signature", HANOI)))
    fictional = record([state("XA", row("signature", HANOI))], fictional=True)
    assert fictional.states[0].code == "XA"


def test_an_organisation_is_flagged_reio_and_lists_its_members() -> None:
    assert "reio: true" in refused("code", state("EU", row("signature", HANOI)))
    eu = state("EU", row("signature", HANOI), reio=True, members=["FRA", "DE"])
    loaded = record([eu])
    assert loaded.states[0].members == ("FR", "DE")
    assert loaded.reios() == frozenset({"EU"})
    assert "lists its member" in refused("field", state("EU", row("signature", HANOI), reio=True))
    assert "a State's code" in refused(
        "code", state("FR", row("signature", HANOI), reio=True, members=["DE"])
    )


def test_the_same_action_twice_is_refused() -> None:
    twice = state("FR", row("signature", HANOI), {**row("signature", HANOI), "note": "again"})
    assert "recorded twice" in refused("duplicate", twice)
    assert "listed twice" in refused(
        "duplicate", state("FR", row("signature", HANOI)), state("FRA", row("signature", HANOI))
    )


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([row("ratification", date(2026, 3, 1))], "no signature before it"),
        ([row("signature", HANOI), row("signature", date(2026, 1, 1))], "signed already"),
        ([row("signature", date(2027, 1, 1))], "signature closed on 2026-12-31"),
        ([row("signature", date(2025, 10, 24))], "before the Convention opened"),
        (
            [row("signature", HANOI), row("accession", date(2026, 3, 1))],
            "a signatory ratifies",
        ),
        (
            [
                row("signature", HANOI),
                row("ratification", date(2026, 3, 1)),
                row("approval", date(2026, 4, 1)),
            ],
            "in effect",
        ),
        ([row("signature", HANOI), row("denunciation", date(2026, 3, 1))], "no instrument"),
        (
            [
                row("signature", HANOI),
                row("ratification", date(2026, 3, 1)),
                row("denunciation", date(2026, 6, 1)),
                row("accession", date(2027, 5, 31)),
            ],
            "a denunciation is pending (it takes effect 2027-06-01)",
        ),
        (
            [
                row("signature", HANOI),
                row("ratification", date(2026, 3, 1)),
                row("denunciation", date(2026, 6, 1)),
                row("ratification", date(2027, 6, 1)),
            ],
            "accedes anew",
        ),
        (
            [
                row("signature", HANOI),
                row("reservation", date(2026, 1, 5), article=11, paragraph=3),
            ],
            "at signature or with an instrument",
        ),
        (
            [
                row("signature", HANOI),
                row("reservation-withdrawal", date(2026, 1, 5), article=11, paragraph=3),
            ],
            "no reservation under that article",
        ),
        (
            [row("declaration", HANOI, article=7)],
            "before the State signed",
        ),
    ],
)
def test_an_order_that_cannot_be_is_refused(rows: list[dict[str, object]], fragment: str) -> None:
    check = "order"
    message = refused(check, state("FR", *rows))
    assert fragment in message
    assert message.startswith("FR: ")


def test_a_state_accedes_again_once_its_denunciation_took_effect() -> None:
    loaded = record(
        [
            ratifier(
                "FR",
                date(2026, 3, 1),
                row("denunciation", date(2026, 6, 1)),
                row("accession", date(2027, 6, 1)),
            )
        ]
    )
    assert [a.kind for a in loaded.states[0].sorted_actions()][-1] is ActionKind.ACCESSION


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"kind": "reservation", "article": 11}, "article and paragraph"),
        ({"kind": "reservation", "paragraph": 3}, "a paragraph needs its article"),
        ({"kind": "notification"}, "names its topic"),
        ({"kind": "notification", "topic": "languages"}, "lists them"),
        ({"kind": "notification", "topic": "central-authority"}, "names the authority"),
        ({"kind": "signature", "article": 64}, "names no article"),
        ({"kind": "signature", "against": "DE"}, "only an objection"),
        ({"kind": "objection", "article": 11, "paragraph": 3}, "names the State"),
    ],
)
def test_each_kind_has_its_fields(extra: dict[str, object], fragment: str) -> None:
    bad = {**row("signature", HANOI), **extra}
    assert fragment in refused("field", state("FR", row("signature", HANOI), bad))


def test_reservations_objections_withdrawals_and_notifications() -> None:
    loaded = record(
        [
            ratifier(
                "AZ",
                date(2026, 3, 1),
                row("reservation", HANOI, article=11, paragraph=3),
                row("reservation-withdrawal", date(2026, 9, 1), article=11, paragraph=3),
                row("notification", date(2026, 3, 1), topic="languages", languages=["en", "ru"]),
                row("notification", date(2026, 3, 1), topic="central-authority", detail="MoJ"),
            ),
            ratifier(
                "FR",
                date(2026, 4, 1),
                row("objection", date(2026, 5, 1), against="AZE", article=11, paragraph=3),
            ),
        ]
    )
    objection = loaded.states[1].actions[-1]
    assert objection.against == "AZ"
    assert objection.describe() == "objection Art. 11(3) against AZ of 2026-05-01"
    with pytest.raises(TreatyRecordError, match="made no such reservation") as caught:
        record(
            [
                ratifier("AZ", date(2026, 3, 1)),
                ratifier(
                    "FR",
                    date(2026, 4, 1),
                    row("objection", date(2026, 5, 1), against="AZ", article=7, paragraph=2),
                ),
            ]
        )
    assert caught.value.check == "objection"


def test_saving_what_was_loaded_gives_the_same_bytes(tmp_path: Path) -> None:
    # Rows and States given out of order are written in the one canonical order.
    shuffled = record(
        [
            ratifier("FR", date(2026, 3, 1), row("reservation", HANOI, article=7, paragraph=2)),
            state("DE", row("signature", HANOI)),
        ]
    )
    path = tmp_path / "record.yaml"
    save_record(shuffled, path)
    again = load_record(path)
    assert again == parse_record(again.model_dump(mode="json"))
    assert dump_record(again) == path.read_bytes()
    text = path.read_text(encoding="utf-8")
    assert text.index("code: DE") < text.index("code: FR")
    assert text.index("kind: signature") < text.index("kind: reservation")


def test_the_shipped_records_load_and_are_canonical() -> None:
    real = load_record(SHIPPED_RECORD)
    assert not real.fictional
    assert dump_record(real) == SHIPPED_RECORD.read_bytes()
    eu = real.state("EU")
    assert eu is not None and eu.reio and "FR" in eu.members
    assert [r.count for r in real.reported if r.confidence == "confirmed"] == [72]
    confirmed = [s.code for s in real.states if any(a.confidence == "confirmed" for a in s.actions)]
    assert len(confirmed) == 31  # the stored part of the depositary's list, Algeria to Jamaica
    azerbaijan = real.state("AZE")
    assert azerbaijan is not None
    reservations = [a.provision for a in azerbaijan.actions if a.kind is ActionKind.RESERVATION]
    assert reservations == ["Art. 7(2)", "Art. 9(2)", "Art. 11(3)", "Art. 63(3)"]
    assert all(
        a.confidence == "unconfirmed"
        for a in azerbaijan.actions
        if a.kind is not ActionKind.SIGNATURE
    )
    demo = load_record(DEMO_RECORD)
    assert demo.fictional
    assert dump_record(demo) == DEMO_RECORD.read_bytes()
    assert {"XA", "XB", "XC"} <= {s.code for s in demo.states}


def test_a_row_added_is_validated_with_the_record() -> None:
    base = record([state("FR", row("signature", HANOI))])
    added = base.with_action(
        "FR", Action.model_validate(row("ratification", date(2026, 3, 1)))
    ).with_action("DEU", Action.model_validate(row("signature", HANOI)))
    germany = added.state("DE")
    assert germany is not None and germany.name == "Germany"
    with pytest.raises(TreatyRecordError, match="signed already"):
        added.with_action("FR", Action.model_validate(row("signature", date(2026, 1, 1))))
    with pytest.raises(TreatyRecordError, match="give its name"):
        base.with_action(
            "EU", Action.model_validate(row("signature", HANOI)), reio=True, members=["FR"]
        )
    assert SOURCE in dump_record(added).decode()

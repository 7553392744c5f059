"""`hanoi treaty record|show|status`: the shipped record, the demo's, a record being kept."""

from __future__ import annotations

import json
from pathlib import Path

from hanoi.treaty.record import load_record
from tests.cli.test_cli import expect, expect_usage_error, hanoi

UNTC = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"


def test_status_of_the_shipped_record_prints_the_depositarys_count_with_its_source(
    tmp_path: Path,
) -> None:
    # A real process, as from a fresh clone: no Secretariat copy, the shipped record.
    run = expect(
        hanoi(tmp_path, "treaty", "status", "--as-of", "2026-12-08", "--json", process=True), 0
    )
    data = json.loads(run.out)
    assert data["record"].endswith("hanoi/treaty/data/record.yaml")
    assert data["fictional"] is False
    counts = data["signatories"]["reported"]
    depositary = [c for c in counts if c["confidence"] == "confirmed"]
    assert depositary == [
        {
            "of": "signatories",
            "count": 72,
            "as_of": None,
            "source": UNTC,
            "confidence": "confirmed",
            "note": depositary[0]["note"],
            "agrees_with_list": False,
        }
    ]
    listed = data["signatories"]["list"]
    assert len(listed) == data["signatories"]["listed"] != 72
    assert all(row["source"] for row in listed)
    assert data["entry_into_force_on_confirmed_rows"]["date"] is None
    assert data["in_force"] is False


def test_the_demo_record_is_the_fictional_federations(tmp_path: Path) -> None:
    run = expect(
        hanoi(tmp_path, "treaty", "status", "--demo", "--as-of", "2026-12-08", "--json"), 0
    )
    data = json.loads(run.out)
    assert data["fictional"] is True
    assert data["entry_into_force"]["date"] == "2026-06-08"
    parties = {p["state"] for p in data["parties"]}
    assert {"XA", "XB"} <= parties and "XC" not in parties
    text = expect(hanoi(tmp_path, "treaty", "show", "XB", "--demo"), 0).out
    assert text.startswith("FICTIONAL DEMO RECORD\nXB Borealis\n")
    assert "reservation Art. 11(3)" in text


def test_status_answers_for_another_day_with_assumed_deposits(tmp_path: Path) -> None:
    args = ["treaty", "status", "--demo", "--json", "--as-of", "2026-08-01"]
    run = expect(hanoi(tmp_path, *args, "--assume", "XC:ratification:2026-06-01"), 0)
    data = json.loads(run.out)
    xc = next(p for p in data["parties"] if p["state"] == "XC")
    assert (xc["since"], xc["rule"], xc["confidence"]) == (
        "2026-07-01",
        "Art. 65(2)",
        "unconfirmed",
    )
    assert data["assumed"] == [{"state": "XC", "action": "ratification", "date": "2026-06-01"}]
    before = json.loads(expect(hanoi(tmp_path, *args[:-1], "2026-06-07"), 0).out)
    assert before["in_force"] is False
    expect_usage_error(
        hanoi(tmp_path, "treaty", "status", "--demo", "--assume", "XC:ratification"),
        "STATE:ACTION:DATE",
    )
    expect_usage_error(hanoi(tmp_path, "treaty", "status", "--as-of", "soon"), "--as-of")


def test_record_keeps_the_secretariats_copy_and_refuses_bad_rows(tmp_path: Path) -> None:
    record = ["treaty", "record"]
    expect_usage_error(
        hanoi(tmp_path, *record, "FR", "ratification", "--date", "2026-03-01", "--source", ""),
        "no source",
    )
    expect_usage_error(
        hanoi(tmp_path, *record, "US", "ratification", "--date", "2026-03-01", "--source", UNTC),
        "US: ratification of 2026-03-01: no signature before it",
    )
    expect_usage_error(
        hanoi(tmp_path, *record, "FR", "ratify", "--date", "2026-03-01", "--source", UNTC),
        "ACTION must be one of",
    )
    copy = tmp_path / "hanoi-home" / "secretariat" / "treaty" / "record.yaml"
    assert not copy.exists()  # nothing written by a refused row
    run = expect(
        hanoi(
            tmp_path,
            *record,
            "FRA",
            "ratification",
            "--date",
            "2026-03-01",
            "--source",
            "C.N.12.2026.TREATIES-XVIII.16",
        ),
        0,
    )
    assert run.out.startswith("FR (France): ratification of 2026-03-01 recorded in ")
    kept = load_record(copy)
    france = kept.state("FR")
    assert france is not None and [a.kind for a in france.sorted_actions()][-1] == "ratification"
    # The commands now read the Secretariat's copy.
    status = json.loads(
        expect(hanoi(tmp_path, "treaty", "status", "--json", "--as-of", "2026-04-01"), 0).out
    )
    assert status["instruments"]["counted_confirmed"] == 1
    shown = json.loads(expect(hanoi(tmp_path, "treaty", "show", "FR", "--json"), 0).out)
    assert shown["states"][0]["actions"][-1]["source"] == "C.N.12.2026.TREATIES-XVIII.16"
    expect_usage_error(
        hanoi(
            tmp_path,
            *record,
            "FR",
            "ratification",
            "--date",
            "2026-03-01",
            "--source",
            "C.N.12.2026.TREATIES-XVIII.16",
            "--note",
            "again",
        ),
        "recorded twice",
    )


def test_record_to_a_file_of_ones_own_with_a_reservation(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    args = ["treaty", "record", "--record", str(target)]
    expect(
        hanoi(
            tmp_path,
            *args,
            "VNM",
            "reservation",
            "--date",
            "2025-10-25",
            "--source",
            UNTC,
            "--article",
            "63",
            "--paragraph",
            "3",
            "--confidence",
            "unconfirmed",
            "--json",
        ),
        0,
    )
    row = load_record(target).state("VN")
    assert row is not None
    assert [a.provision for a in row.actions if a.kind == "reservation"] == ["Art. 63(3)"]
    assert (
        "unconfirmed"
        in expect(hanoi(tmp_path, "treaty", "show", "VN", "--record", str(target)), 0).out
    )
    expect_usage_error(
        hanoi(tmp_path, "treaty", "show", "--demo", "--record", str(target)), "not both"
    )
    expect_usage_error(
        hanoi(tmp_path, "treaty", "show", "ZW", "--record", str(target)), "not in the record"
    )

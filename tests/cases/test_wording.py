"""The timeline in an officer's words (cases/wording.py): a sentence per item, no ids; each a
whole sentence of the pages' catalogue with its values, English when made a string."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hanoi.cases.queries import TimelineItem
from hanoi.cases.wording import EVENT_WORDS, describe
from hanoi.i18n.marker import Wording, wording

NAMES = {"XA": "Arcadia", "XB": "Borealis"}
AT = datetime(2026, 12, 7, 14, 44, tzinfo=UTC)


def _item(what: str, actor: str = "officer", **detail: str) -> TimelineItem:
    return TimelineItem(AT, what, actor, None, dict(detail))


@pytest.mark.parametrize(
    ("item", "sentence"),
    [
        (
            _item(
                "message sent",
                "system",
                type="request.submit",
                to="XB-CA",
                delivery="delivered",
                attempts="1",
                message="01J",
            ),
            "Delivered the request to Borealis (XB-CA); receipt signed",
        ),
        (
            _item(
                "message sent",
                "system",
                type="request.action",
                to="XB-CA",
                delivery="quarantined",
                attempts="1",
                error="unknown authority",
            ),
            "Borealis (XB-CA) refused a step taken on the request: unknown authority",
        ),
        (
            _item(
                "message sent",
                "system",
                type="evidence.offer",
                to="XC-CA",
                delivery="pending",
                attempts="3",
                error="HTTP 503",
            ),
            "Not delivered to XC-CA yet (HTTP 503); trying again",
        ),
        (
            _item(
                "message sent",
                "system",
                type="request.submit",
                to="XB-CA",
                delivery="pending",
                attempts="0",
            ),
            "Sending the request to Borealis (XB-CA)",
        ),
        (
            _item("message received", "XA-CA", type="request.condition", **{"from": "XA-CA"}),
            "Received a condition on use from Arcadia (XA-CA)",
        ),
        (_item("receipt", "XB-CA", message="01J"), "Borealis (XB-CA) signed the receipt"),
        (
            _item(
                "refuse",
                reason="Our law bars it.",
                ground="x",
                ground_text="Contrary to domestic law",
            ),
            "Refused (Contrary to domestic law): Our law bars it.",
        ),
        (_item("return", reason="Name the provider."), "Returned for changes: Name the provider."),
        (_item("approve"), "Approved by a supervisor"),
        (
            _item("condition", kind="onward-transfer", text="For the trial only.", to="XC"),
            "Condition on use attached (onward transfer to XC): For the trial only.",
        ),
        (
            _item("reminder", "system", label="Acknowledge", due="2026-12-07T18:00:00+00:00"),
            "Deadline reminder: Acknowledge by 2026-12-07 18:00 UTC",
        ),
        (
            _item("evidence-file-opened", package="01J", file="2", name="photo.jpg"),
            "Evidence file opened and downloaded: photo.jpg",
        ),
        (_item("some-new-step"), "Some new step"),
    ],
)
def test_each_item_reads_as_a_sentence(item: TimelineItem, sentence: str) -> None:
    assert str(describe(item, NAMES)) == sentence


def test_every_event_has_words_of_its_own() -> None:
    for what, words in EVENT_WORDS.items():
        assert str(describe(_item(what), NAMES)) == words
        assert not any(code in words for code in ("request.", "evidence.", "_", "ULID"))


def test_the_sentences_are_whole_messages_with_their_values() -> None:
    said = describe(
        _item("reminder", "system", label="Preservation ends", due="2026-12-07T18:00:00+00:00"),
        NAMES,
    )
    assert said.message == "Deadline reminder: %(label)s by %(due)s"
    assert said.values["label"] == Wording("Preservation ends")  # translated in its turn
    assert said.values["due"] == AT.replace(hour=18, minute=0)  # written the page's way
    sent = describe(_item("message sent", "system", type="request.submit", to="XB-CA"), NAMES)
    assert sent == wording("Sending the request to %(party)s", party="Borealis (XB-CA)")

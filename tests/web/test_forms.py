"""Form fields generated from the document models, and labels for checker paths."""

from __future__ import annotations

from hanoi.cases.documents import document_model
from hanoi.web.forms import fields_for, label_for, labels_by_path


def test_widgets_follow_the_model() -> None:
    specs = {s.key: s for s in fields_for(document_model("preservation"))}
    assert specs["kind"].widget == "fixed"
    assert specs["mla_to_follow"].widget == "yesno"  # optional: "not answered" is kept
    assert specs["urgent"].widget == "checkbox"
    assert specs["date_of_request"].widget == "date"
    assert specs["requesting_authority"].widget == "group"
    assert specs["offences"].widget == "rows"
    assert specs["summary_of_facts"].widget == "textarea"


def test_problem_paths_get_their_labels() -> None:
    labels = labels_by_path(fields_for(document_model("preservation")))
    assert label_for(labels, "offences.0.code") == "Offence code (1)"
    assert (
        label_for(labels, "data_items.1.identifiers") == f"{labels['data_items.*.identifiers']} (2)"
    )
    assert label_for(labels, "requesting_authority.name") == labels["requesting_authority.name"]
    assert label_for(labels, "") == "Document"
    assert label_for(labels, "no.such.path") == "no.such.path"

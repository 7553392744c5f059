"""The custody graph: valid CASE under the real ``case_validate``, and Hanoi's own checks."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from case_utils.inherent_uuid import get_facet_uriref, hash_method_value_uuid
from rdflib import Literal, Namespace, URIRef

from hanoi.evidence.custody import (
    CONTEXT,
    CustodyError,
    CustodyEvent,
    add_event,
    check_custody,
    custody_bytes,
    custody_graph,
    file_iri,
)
from hanoi.evidence.manifest import Manifest

CASE_VALIDATE = Path(sys.executable).with_name("case_validate")
T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PACKAGE = "01JD0000000000000000000000"


def _manifest(files: int = 2, **changes: Any) -> Manifest:
    raw: dict[str, Any] = {
        "package_id": PACKAGE,
        "request": "XA-2026-000002",
        "sealed_by": {
            "state": "XB",
            "authority": "XB-CA",
            "officer": "officer",
            "node_kid": "K" * 43,
        },
        "sealed_at": "2026-11-29T10:00:00Z",
        "recipient": {"state": "XA", "authority": "XA-CA", "age_recipient": "age1" + "q" * 58},
        "files": [
            {
                "index": i,
                "name": f"capture-{i}.pcap",
                "size": 1000 * i,
                "media_type": "application/vnd.tcpdump.pcap",
                "sha256": f"{i:x}" * 64,
                "ciphertext_size": 1000 * i + 200,
                "ciphertext_sha256": f"{i + 8:x}" * 64,
            }
            for i in range(1, files + 1)
        ],
    }
    raw.update(changes)
    return Manifest.model_validate(raw)


def _event(kind: str, hours: float, who: str = "XB-CA/officer") -> CustodyEvent:
    organization = who.split("/")[0]
    return CustodyEvent(
        kind=kind,  # type: ignore[arg-type]
        performer=who,
        organization=organization,
        tool=f"Hanoi 0.1.0 (hanoi evidence {kind})",
        at=T0 + timedelta(hours=hours),
        location="Borealis (XB)" if organization.startswith("XB") else "https://xa.example/",
        description=f"{kind} of the package",
    )


SEALED = [_event("acquisition", 0), _event("sealing", 1)]
LATER = [
    _event("transfer", 2),
    _event("receipt", 3, "XA-CA/clerk"),
    _event("opening", 4, "XA-CA/clerk"),
]


def _delivered(manifest: Manifest) -> bytes:
    data = custody_bytes(custody_graph(manifest, SEALED))
    for event in LATER:
        data = add_event(data, manifest, event)
    return data


def _mutate(graph: dict[str, Any], iri: str) -> dict[str, Any]:
    """The top-level node ``iri`` of ``graph``, to change in place."""
    return next(node for node in graph["@graph"] if node["@id"] == iri)


# --- the real case_validate ------------------------------------------------------------------


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """``case_validate`` run once per graph, the three runs side by side (each takes
    seconds, most of it reading the ontology)."""
    manifest = _manifest()
    sealed = custody_bytes(custody_graph(manifest, SEALED))
    plain = '"uco-types:hashMethod":"SHA256"'
    assert plain.encode() in sealed
    graphs = {
        "sealed": sealed,
        "delivered": _delivered(manifest),
        "sha-256": sealed.replace(plain.encode(), b'"uco-types:hashMethod":"SHA-256"', 1),
        "one file opened": add_event(_delivered(manifest), manifest, _opening(5, frozenset({2}))),
    }
    folder = tmp_path_factory.mktemp("custody")
    runs = {}
    for name, data in graphs.items():
        path = folder / f"{name}.jsonld"
        path.write_bytes(data)
        runs[name] = subprocess.Popen(
            [str(CASE_VALIDATE), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    outputs = {name: run.communicate(timeout=120)[0] for name, run in runs.items()}
    return {name: (runs[name].returncode, output) for name, output in outputs.items()}


def test_graph_of_a_sealed_package_validates(verdicts: dict[str, tuple[int, str]]) -> None:
    code, output = verdicts["sealed"]
    assert code == 0, output
    assert "Conforms: True" in output


def test_graph_after_transfer_receipt_and_opening_still_validates(
    verdicts: dict[str, tuple[int, str]],
) -> None:
    code, output = verdicts["delivered"]
    assert code == 0, output
    assert "Conforms: True" in output


def test_graph_after_opening_one_file_still_validates(
    verdicts: dict[str, tuple[int, str]],
) -> None:
    code, output = verdicts["one file opened"]
    assert code == 0, output
    assert "Conforms: True" in output


def test_case_validate_refuses_a_hash_method_spelled_sha_256(
    verdicts: dict[str, tuple[int, str]],
) -> None:
    code, output = verdicts["sha-256"]
    assert code == 1, output
    assert "Conforms: False" in output
    assert "not member of the vocabulary HashNameVocab" in output


# --- the shape of the graph ------------------------------------------------------------------


def test_each_file_appears_with_both_hashes_as_plain_sha256() -> None:
    manifest = _manifest()
    graph = custody_graph(manifest, SEALED)
    entry = manifest.files[1]
    ciphertext = _mutate(graph, file_iri(PACKAGE, 2, "ciphertext"))
    file_facet, content = ciphertext["uco-core:hasFacet"]
    assert file_facet["uco-observable:filePath"] == "payload/0002.age"
    assert file_facet["uco-observable:sizeInBytes"] == entry.ciphertext_size
    (hash_node,) = content["uco-observable:hash"]
    assert hash_node["uco-types:hashMethod"] == "SHA256"
    assert hash_node["uco-types:hashValue"] == {
        "@type": "xsd:hexBinary",
        "@value": entry.ciphertext_sha256,
    }


def test_facet_and_hash_iris_follow_case_utils_inherent_uuids() -> None:
    # Imported here: at module level, pytest's collection pokes at these closed namespaces
    # and rdflib warns about every attribute it does not define.
    from case_utils.namespace import NS_UCO_OBSERVABLE, NS_XSD

    manifest = _manifest(files=1)
    plaintext = _mutate(custody_graph(manifest, SEALED), file_iri(PACKAGE, 1, "plaintext"))
    kb = Namespace(CONTEXT["kb"])
    full = URIRef(CONTEXT["kb"] + plaintext["@id"].removeprefix("kb:"))
    file_facet, content = plaintext["uco-core:hasFacet"]
    expected_facet = get_facet_uriref(full, NS_UCO_OBSERVABLE.FileFacet, namespace=kb)
    assert CONTEXT["kb"] + file_facet["@id"].removeprefix("kb:") == str(expected_facet)
    sha = manifest.files[0].sha256
    expected = hash_method_value_uuid(Literal("SHA256"), Literal(sha, datatype=NS_XSD.hexBinary))
    assert content["uco-observable:hash"][0]["@id"] == f"kb:Hash-{expected}"


def test_every_iri_ends_with_a_uuid() -> None:
    graph = custody_graph(_manifest(), [*SEALED, *LATER])
    iris = [n["@id"] for n in graph["@graph"]]
    assert len(iris) == len(set(iris))
    for iri in iris:
        assert iri.startswith("kb:")
        uuid.UUID(iri[-36:])


# --- canonical bytes and appending -----------------------------------------------------------


def test_canonical_bytes_are_stable() -> None:
    first = custody_bytes(custody_graph(_manifest(), SEALED))
    again = custody_bytes(custody_graph(_manifest(), list(SEALED)))
    assert first == again
    reordered = json.loads(first, object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    assert custody_bytes(reordered) == first


def test_graphs_without_images_keep_their_bytes() -> None:
    """Recording forensic images added nodes only for images: the graphs of other packages
    (SHA-256 of their bytes as first written) are unchanged, so old packages still verify."""
    sealed = custody_bytes(custody_graph(_manifest(), SEALED))
    assert hashlib.sha256(sealed).hexdigest() == (
        "5f3d82987dc6c4529dd245cecc44533fd697cc68bcd943949af4f70ec2e76bcb"
    )
    assert hashlib.sha256(_delivered(_manifest())).hexdigest() == (
        "ff55ef62d1ef1931526d778641913b78b6f18b715a317d5f3f326de8e162cd99"
    )


def test_add_event_keeps_earlier_nodes_and_matches_building_at_once() -> None:
    manifest = _manifest()
    sealed = custody_graph(manifest, SEALED)
    delivered = json.loads(_delivered(manifest))
    assert delivered["@graph"][: len(sealed["@graph"])] == sealed["@graph"]
    assert _delivered(manifest) == custody_bytes(custody_graph(manifest, [*SEALED, *LATER]))


def test_add_event_refuses_another_packages_graph_and_non_json() -> None:
    data = custody_bytes(custody_graph(_manifest(), SEALED))
    other = _manifest(package_id="01JD0000000000000000000001")
    with pytest.raises(CustodyError, match="not the custody graph of"):
        add_event(data, other, LATER[0])
    with pytest.raises(CustodyError, match="not JSON"):
        add_event(b"\xff{", _manifest(), LATER[0])


def test_event_refuses_a_naive_time_and_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="naive"):
        replace(SEALED[0], at=datetime(2026, 11, 29, 9, 0))
    with pytest.raises(ValueError, match="one of"):
        replace(SEALED[0], kind="copying")  # type: ignore[arg-type]


# --- Hanoi's own checks ----------------------------------------------------------------------


def test_check_custody_passes_a_good_graph() -> None:
    manifest = _manifest()
    assert check_custody(custody_graph(manifest, SEALED), manifest) == []
    assert check_custody(json.loads(_delivered(manifest)), manifest) == []


def test_check_custody_finds_a_hash_that_differs_from_the_manifest() -> None:
    manifest = _manifest()
    graph = custody_graph(manifest, SEALED)
    entry = manifest.files[1]
    tampered = replace_file(manifest, 1, ciphertext_sha256="f" * 64)
    assert check_custody(graph, tampered) == [
        "payload/0002.age: SHA-256 in the custody graph differs from the manifest"
    ]
    _, content = _mutate(graph, file_iri(PACKAGE, 2, "plaintext"))["uco-core:hasFacet"]
    content["uco-observable:hash"][0]["uco-types:hashValue"]["@value"] = "0" * 64
    assert check_custody(graph, manifest) == [
        f"file 2 ({entry.name!r}): SHA-256 in the custody graph differs from the manifest"
    ]


def replace_file(manifest: Manifest, position: int, **changes: Any) -> Manifest:
    files = list(manifest.files)
    files[position] = files[position].model_copy(update=changes)
    return manifest.model_copy(update={"files": files})


def test_check_custody_finds_a_missing_file() -> None:
    manifest = _manifest()
    graph = custody_graph(manifest, SEALED)
    graph["@graph"] = [n for n in graph["@graph"] if n["@id"] != file_iri(PACKAGE, 1, "ciphertext")]
    assert check_custody(graph, manifest) == ["payload/0001.age: missing from the custody graph"]
    three = _manifest(files=3)
    problems = check_custody(custody_graph(manifest, SEALED), three)
    assert "file 3 ('capture-3.pcap'): missing from the custody graph" in problems
    assert "payload/0003.age: missing from the custody graph" in problems


def test_check_custody_finds_events_out_of_time_order() -> None:
    manifest = _manifest()
    late_receipt = _event("receipt", 1.5, "XA-CA/clerk")
    graph = custody_graph(manifest, [*SEALED, _event("transfer", 2), late_receipt])
    assert check_custody(graph, manifest) == [
        "event 4 (receipt): starts before the event recorded before it ended"
    ]


def test_check_custody_finds_broken_continuity() -> None:
    manifest = _manifest()
    graph = json.loads(_delivered(manifest))
    receipt = next(n for n in graph["@graph"] if n.get("uco-core:name") == "receipt")
    receipt["uco-action:object"] = [{"@id": file_iri(PACKAGE, 1, "ciphertext")}]
    assert check_custody(graph, manifest) == [
        "event 4 (receipt): does not take what event 3 (transfer) gave: broken custody"
    ]
    skipped_sealing = custody_graph(manifest, [SEALED[0], _event("transfer", 2)])
    assert check_custody(skipped_sealing, manifest) == [
        "event 2 (transfer): does not take what event 1 (acquisition) gave: broken custody"
    ]


def test_check_custody_wants_custody_to_start_with_acquisition_or_sealing() -> None:
    manifest = _manifest()
    assert check_custody(custody_graph(manifest, []), manifest) == [
        "custody graph: no custody events"
    ]
    assert check_custody(custody_graph(manifest, LATER[:1]), manifest) == [
        "event 1 (transfer): custody must start with an acquisition or a sealing"
    ]
    assert check_custody(custody_graph(manifest, SEALED[1:]), manifest) == []


def test_check_custody_refuses_another_form() -> None:
    manifest = _manifest()
    graph = custody_graph(manifest, SEALED)
    graph["@context"]["uco-types"] = "https://example.org/not-uco/"
    assert check_custody(graph, manifest) == [
        "custody graph: not a Hanoi custody graph (unexpected @context or no @graph)"
    ]


# --- openings: branches off the chain --------------------------------------------------------


def _opening(hours: float, files: frozenset[int] | None = None) -> CustodyEvent:
    return replace(_event("opening", hours, "XA-CA/clerk"), files=files)


def test_a_package_opened_twice_keeps_its_custody_continuous() -> None:
    """Each opening takes the ciphertext the receipt gave; before openings were branches,
    the second one was reported as taking the first one's plaintext (broken custody)."""
    manifest = _manifest()
    data = add_event(_delivered(manifest), manifest, _opening(5))
    assert check_custody(json.loads(data), manifest) == []
    data = add_event(data, manifest, _opening(6, frozenset({1})))
    assert check_custody(json.loads(data), manifest) == []


def test_an_opening_of_one_file_takes_its_ciphertext_and_gives_its_plaintext() -> None:
    manifest = _manifest()
    graph = json.loads(add_event(_delivered(manifest), manifest, _opening(5, frozenset({2}))))
    assert check_custody(graph, manifest) == []
    opening = _mutate(graph, _action(6))
    assert opening["uco-action:object"] == [{"@id": file_iri(PACKAGE, 2, "ciphertext")}]
    assert opening["uco-action:result"][0] == {"@id": file_iri(PACKAGE, 2, "plaintext")}
    assert len(opening["uco-action:result"]) == 2  # and the provenance record


def _action(step: int) -> str:
    """The IRI of step ``step`` of any graph of the package (it depends on nothing else)."""
    graph = custody_graph(_manifest(), [*SEALED, *LATER, _opening(5), _opening(6)])
    actions = [n["@id"] for n in graph["@graph"] if n.get("@type") == _ACTION]
    return actions[step - 1]


_ACTION = "case-investigation:InvestigativeAction"


def test_only_an_opening_names_files_and_only_files_of_the_package() -> None:
    with pytest.raises(ValueError, match="only an opening names files"):
        replace(LATER[0], files=frozenset({1}))
    with pytest.raises(ValueError, match="at least one file"):
        _opening(5, frozenset())
    with pytest.raises(CustodyError, match="has no file 3"):
        add_event(_delivered(_manifest()), _manifest(), _opening(5, frozenset({1, 3})))


def test_an_opening_of_a_file_the_chain_does_not_hold_is_refused() -> None:
    manifest = _manifest(files=3)
    # A graph whose transfer and receipt moved two of the three files: broken already ...
    graph = custody_graph(manifest, [*SEALED, *LATER[:2], _opening(5, frozenset({3}))])
    moved = [{"@id": file_iri(PACKAGE, i, "ciphertext")} for i in (1, 2)]
    for step in (3, 4):
        node = _mutate(graph, _action(step))
        node["uco-action:object"] = moved
        node["uco-action:result"] = moved + node["uco-action:result"][-1:]
    assert check_custody(graph, manifest) == [
        "event 3 (transfer): does not take what event 2 (sealing) gave: broken custody",
        "event 5 (opening): opens files that event 4 (receipt) did not give: broken custody",
    ]
    # ... and an opening of a file that is not in the package at all.
    two = _manifest(files=2)
    graph = json.loads(add_event(_delivered(two), two, _opening(5, frozenset({2}))))
    opening = _mutate(graph, _action(6))
    opening["uco-action:object"] = [{"@id": file_iri(PACKAGE, 3, "ciphertext")}]
    opening["uco-action:result"][0] = {"@id": file_iri(PACKAGE, 3, "plaintext")}
    assert check_custody(graph, two) == [
        "event 6 (opening): opens files that event 4 (receipt) did not give: broken custody"
    ]


def test_a_transfer_after_an_opening_takes_what_the_chain_still_holds() -> None:
    manifest = _manifest()
    data = add_event(_delivered(manifest), manifest, _opening(5, frozenset({1})))
    data = add_event(data, manifest, _event("transfer", 6, "XA-CA/clerk"))
    assert check_custody(json.loads(data), manifest) == []
    graph = json.loads(data)
    transfer = _mutate(graph, _action(7))
    transfer["uco-action:object"] = [{"@id": file_iri(PACKAGE, 1, "plaintext")}]
    assert check_custody(graph, manifest) == [
        "event 7 (transfer): does not take what event 4 (receipt) gave: broken custody"
    ]


def test_a_forged_opening_that_gives_another_files_plaintext_is_refused() -> None:
    manifest = _manifest()
    graph = json.loads(add_event(_delivered(manifest), manifest, _opening(5, frozenset({1}))))
    opening = _mutate(graph, _action(6))
    opening["uco-action:result"][0] = {"@id": file_iri(PACKAGE, 2, "plaintext")}
    assert check_custody(graph, manifest) == [
        "event 6 (opening): does not give the plaintext of the files it opens: broken custody"
    ]
    opening["uco-action:result"][0] = {"@id": file_iri(PACKAGE, 1, "ciphertext")}
    assert check_custody(graph, manifest) == [
        "event 6 (opening): does not give the plaintext of the files it opens: broken custody"
    ]
    opening["uco-action:object"] = []
    assert check_custody(graph, manifest) == [
        "event 6 (opening): opens files that event 4 (receipt) did not give: broken custody"
    ]

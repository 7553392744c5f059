"""E01 images in evidence packages: their stored hashes and case metadata, checked against
the media data when sealed, recorded in the manifest and the custody graph.

One package is sealed for most tests, holding every kind of input at once: a good image, a
damaged one, a four-segment image given out of order and a plain file. Images are made by
``ewfacquire`` as in test_ewf.py; nothing is mocked.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from case_utils.inherent_uuid import hash_method_value_uuid
from rdflib import Literal

from hanoi.crypto.keys import KeyStore
from hanoi.evidence.custody import CustodyEvent, add_event, check_custody
from hanoi.evidence.errors import SourceError
from hanoi.evidence.ewf import EwfError, inspect_ewf
from hanoi.evidence.manifest import Manifest
from hanoi.evidence.package import (
    CUSTODY,
    PackageError,
    image_warnings,
    open_package,
    verify_package,
)
from tests.evidence.test_ewf import CASE, MEDIA_SIZE, SECTION_HEADER, _acquire
from tests.evidence.test_package import NOW, _keys_of, _seal
from tests.raising import raises_check

CASE_VALIDATE = Path(sys.executable).with_name("case_validate")


@dataclass(frozen=True)
class Sealed:
    raw: bytes
    inputs: Path
    package: Path
    manifest: Manifest
    graph: dict[str, Any]
    progress: list[tuple[str, int]]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyStore]:
    root = tmp_path_factory.mktemp("nodes")
    stores = {code: KeyStore(root / code) for code in ("XA", "XB")}
    for store in stores.values():
        store.init()
    return stores


@pytest.fixture(scope="module")
def sealed(nodes: dict[str, KeyStore], tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    folder = tmp_path_factory.mktemp("images")
    raw = random.Random(20261130).randbytes(MEDIA_SIZE)
    (folder / "disk.raw").write_bytes(raw)
    _acquire(folder / "disk.raw", folder / "good", "-c", "none")
    _acquire(folder / "disk.raw", folder / "multi", "-c", "fast", "-S", str(1024 * 1024))
    data = bytearray((folder / "good.E01").read_bytes())
    data[data.index(b"sectors\x00") + SECTION_HEADER + 1_500_000] ^= 0xFF
    (folder / "damaged.E01").write_bytes(bytes(data))
    (folder / "notes.txt").write_text("seized by XB police, 2026-11-28\n")
    sources = [
        folder / name
        for name in (
            "good.E01",
            "damaged.E01",
            "multi.E03",
            "multi.E01",
            "notes.txt",
            "multi.E04",
            "multi.E02",
        )
    ]
    progress: list[tuple[str, int]] = []
    package = folder / "pkg"
    manifest = _seal(nodes, sources, package, progress=lambda n, d: progress.append((n, d)))
    graph = json.loads((package / CUSTODY).read_bytes())
    return Sealed(raw, folder, package, manifest, graph, progress)


def _node(graph: dict[str, Any], name: str, about: str) -> dict[str, Any]:
    """The top-level node named ``name`` whose description mentions the file ``about``."""
    return next(
        n
        for n in graph["@graph"]
        if n.get("uco-core:name") == name and f"({about!r})" in n["uco-core:description"]
    )


def _hashes(graph: dict[str, Any], iri: str) -> dict[str, str]:
    node = next(n for n in graph["@graph"] if n["@id"] == iri)
    _, content = node["uco-core:hasFacet"]
    assert content["uco-observable:sizeInBytes"] == MEDIA_SIZE
    return {
        h["uco-types:hashMethod"]: h["uco-types:hashValue"]["@value"]
        for h in content.get("uco-observable:hash", [])
    }


# --- the manifest ----------------------------------------------------------------------------


def test_a_good_image_is_recorded_with_stored_and_computed_hashes(sealed: Sealed) -> None:
    entry = sealed.manifest.files[0]
    image = entry.forensic_image
    assert entry.name == "good.E01" and image is not None
    assert image.format == "ewf" and image.segments == [1] and image.media_size == MEDIA_SIZE
    md5, sha1 = hashlib.md5(sealed.raw).hexdigest(), hashlib.sha1(sealed.raw).hexdigest()
    assert image.stored.model_dump() == {"md5": md5, "sha1": sha1, "sha256": None}
    assert image.computed.model_dump() == {
        "md5": md5,
        "sha1": sha1,
        "sha256": hashlib.sha256(sealed.raw).hexdigest(),
    }
    assert image.verified is True
    assert {k: image.metadata[k] for k in CASE} == CASE  # type: ignore[index]
    assert image.metadata["acquiry_software_version"] and image.metadata["acquiry_date"]
    # The plaintext SHA-256 is still that of the .E01 file itself, not of the media data.
    assert entry.sha256 == hashlib.sha256((sealed.inputs / "good.E01").read_bytes()).hexdigest()


def test_a_damaged_image_is_sealed_and_recorded_as_not_verified(sealed: Sealed) -> None:
    image = sealed.manifest.files[1].forensic_image
    assert image is not None and image.verified is False
    assert image.stored.md5 == hashlib.md5(sealed.raw).hexdigest()
    assert image.computed.md5 != image.stored.md5
    assert image.mismatches() == ["md5", "sha1"]
    assert image_warnings(sealed.manifest) == [
        "damaged.E01: the media data of this EWF image does not match the MD5, SHA-1 stored "
        "in it; sealed as given, recorded as verified: false"
    ]


def test_segments_given_in_any_order_belong_to_the_first(sealed: Sealed) -> None:
    names = [f.name for f in sealed.manifest.files]
    image = sealed.manifest.files[names.index("multi.E01")].forensic_image
    assert image is not None and image.verified is True
    assert [names[n - 1] for n in image.segments] == [f"multi.E0{n}" for n in range(1, 5)]
    for name in ("multi.E02", "multi.E03", "multi.E04", "notes.txt"):
        assert sealed.manifest.files[names.index(name)].forensic_image is None
    listed = json.loads((sealed.package / "manifest.json").read_bytes())["files"]
    assert ["forensic_image" in f for f in listed] == [True, True, False, True] + [False] * 3


def test_checking_the_images_is_reported_as_progress(sealed: Sealed) -> None:
    checked = [d for n, d in sealed.progress if n == "multi.E01 (checking the image)"]
    size = sum(p.stat().st_size for p in sealed.inputs.glob("multi.E0*"))
    assert checked[-1] == size  # counted in bytes of the segment files, like sealing


def test_the_package_verifies_and_opens_into_a_readable_image(
    sealed: Sealed, nodes: dict[str, KeyStore], tmp_path: Path
) -> None:
    keys = _keys_of(nodes["XB"])
    assert verify_package(sealed.package, keys_for=keys).manifest == sealed.manifest
    opened = open_package(
        sealed.package, identity=nodes["XA"].age_identity(), out=tmp_path / "o", keys_for=keys
    )
    # The recipient can read the multi-segment image: its segments kept their names.
    info = inspect_ewf(next(p for p in opened if p.name == "multi.E01"))
    assert info.verified and info.computed["sha256"] == hashlib.sha256(sealed.raw).hexdigest()


# --- the custody graph -----------------------------------------------------------------------


def test_the_graph_records_acquisition_and_verification(sealed: Sealed) -> None:
    graph, raw = sealed.graph, sealed.raw
    assert check_custody(graph, sealed.manifest) == []
    acquisition = _node(graph, "acquisition of a forensic image", "good.E01")
    assert acquisition["@type"] == "uco-action:Action"  # not a custody step
    assert (
        "case_number: XB-2026-000042; evidence_number: EV-7"
        in (acquisition["uco-core:description"])
    )
    performer = acquisition["uco-action:performer"]["@id"]
    examiner = next(n for n in graph["@graph"] if n["@id"] == performer)
    assert examiner["uco-core:name"] == CASE["examiner_name"]
    started = acquisition["uco-action:startTime"]["@value"]
    assert datetime.fromisoformat(started).tzinfo is None  # the header gives local time
    stored = _hashes(graph, acquisition["uco-action:result"][0]["@id"])
    assert stored == {"MD5": hashlib.md5(raw).hexdigest(), "SHA1": hashlib.sha1(raw).hexdigest()}

    verification = _node(graph, "verification of a forensic image", "good.E01")
    assert verification["uco-action:actionStatus"] == "Success"
    computed = _hashes(graph, verification["uco-action:result"][0]["@id"])
    assert computed == stored | {"SHA256": hashlib.sha256(raw).hexdigest()}
    damaged = _node(graph, "verification of a forensic image", "damaged.E01")
    assert damaged["uco-action:actionStatus"] == "Fail"
    assert "it does NOT match the MD5, SHA1 stored in the image" in damaged["uco-core:description"]
    # Hash IRIs are case_utils' inherent UUIDs for every method, not only SHA256. (XSD is
    # imported here: at module level pytest's collection pokes at the closed namespace.)
    from rdflib import XSD

    md5 = Literal(hashlib.md5(raw).hexdigest(), datatype=XSD.hexBinary)
    iri = f"kb:Hash-{hash_method_value_uuid(Literal('MD5'), md5)}"
    assert iri in json.dumps(graph)


def test_check_custody_compares_the_image_facts_with_the_manifest(sealed: Sealed) -> None:
    graph = json.loads(json.dumps(sealed.graph))
    acquisition = _node(graph, "acquisition of a forensic image", "good.E01")
    acquired = next(
        n for n in graph["@graph"] if n["@id"] == acquisition["uco-action:result"][0]["@id"]
    )
    acquired["uco-core:hasFacet"][1]["uco-observable:hash"][0]["uco-types:hashValue"]["@value"] = (
        "0" * 32
    )
    graph["@graph"].append({"@id": "kb:Image-x", "@type": "uco-observable:Image"})
    assert check_custody(graph, sealed.manifest) == [
        "file 1 ('good.E01'): the forensic image facts in the custody graph differ from the "
        "manifest",
        "custody graph: forensic image facts that the manifest does not have",
    ]
    # A manifest without the image facts does not match the graph that has them.
    plain = sealed.manifest.model_copy(
        update={
            "files": [f.model_copy(update={"forensic_image": None}) for f in sealed.manifest.files]
        }
    )
    assert check_custody(sealed.graph, plain) == [
        "custody graph: forensic image facts that the manifest does not have"
    ]


def test_the_graph_with_images_validates_under_case_validate(
    sealed: Sealed, tmp_path: Path
) -> None:
    """One run (it takes seconds): the graph after delivery, images good and damaged."""
    data = (sealed.package / CUSTODY).read_bytes()
    for hours, kind, who in ((1, "transfer", "XB-CA/officer"), (2, "receipt", "XA-CA/clerk")):
        event = CustodyEvent(
            kind=kind,  # type: ignore[arg-type]
            performer=who,
            organization=who.split("/")[0],
            tool="Hanoi 0.1.0",
            at=NOW + timedelta(hours=hours),
            location="Arcadia (XA)",
        )
        data = add_event(data, sealed.manifest, event)
    assert check_custody(json.loads(data), sealed.manifest) == []
    path = tmp_path / "custody.jsonld"
    path.write_bytes(data)
    run = subprocess.run(
        [str(CASE_VALIDATE), str(path)], capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Conforms: True" in run.stdout


# --- refusals --------------------------------------------------------------------------------


def test_a_segment_without_the_others_is_refused(
    sealed: Sealed, nodes: dict[str, KeyStore], tmp_path: Path
) -> None:
    multi = sealed.inputs / "multi.E01"
    with pytest.raises(PackageError, match=r"missing: multi\.E02, multi\.E03, multi\.E04\)"):
        _seal(nodes, [multi], tmp_path / "p")
    with pytest.raises(PackageError, match=r"of an EWF image of 4 segments.*missing: multi\.E01"):
        _seal(nodes, [sealed.inputs / f"multi.E0{n}" for n in (2, 3, 4)], tmp_path / "p")
    # Only the first segment at hand: libewf cannot read the image, nor could the recipient.
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(multi, alone / "multi.E01")
    with pytest.raises(EwfError, match="damaged"):
        _seal(nodes, [alone / "multi.E01"], tmp_path / "p")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone"]


def test_an_image_changed_after_it_was_checked_is_refused(
    sealed: Sealed, nodes: dict[str, KeyStore], tmp_path: Path
) -> None:
    image = tmp_path / "good.E01"
    shutil.copy(sealed.inputs / "good.E01", image)

    def touch(name: str, done: int) -> None:
        if name.endswith("(checking the image)") and done == image.stat().st_size:
            with image.open("ab") as f:
                f.write(b"\0")

    with raises_check(SourceError, "changed", match="changed between checking the EWF image"):
        _seal(nodes, [image], tmp_path / "p", progress=touch)
    assert not (tmp_path / "p").exists()


def test_the_verification_is_dated_when_sealed(sealed: Sealed) -> None:
    verification = _node(sealed.graph, "verification of a forensic image", "good.E01")
    moment = datetime.fromisoformat(verification["uco-action:startTime"]["@value"])
    assert moment == NOW.astimezone(UTC)

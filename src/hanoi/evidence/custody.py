"""The chain of custody of an evidence package as CASE/UCO JSON-LD (``custody.jsonld``).

A court in another State may re-check a package years later with nothing but standard tools,
so the custody record is written in the CASE ontology and validates under ``case_validate``
(from the ``case-utils`` package) as it is. Each file of the package appears twice, as a
``uco-observable:File`` with its SHA-256: the plaintext (what the court compares with the
original) and its ciphertext ``payload/NNNN.age`` (checkable without the key). Each custody
step — acquisition, sealing, transfer, receipt, opening — is a
``case-investigation:InvestigativeAction`` with performer, tool, time and location, taking
some of those files as its object and giving others as its result, plus a
``case-investigation:ProvenanceRecord`` naming the package as the exhibit after that step.

A file that is an EWF (``.E01``) image adds what the image says about its acquisition and
what Hanoi found when it sealed it, both as plain ``uco-action:Action`` nodes, which are not
custody steps (those are the ``InvestigativeAction`` nodes only): an *acquisition*, taken
from the image's header and not witnessed by Hanoi (examiner as performer, acquisition
software as instrument, acquisition date as start time when it can be read, every header
value in its description), whose result is the media data with the hashes stored in the
image; and a *verification* by the sealing officer at the sealing time, taking that media
data and the segment files and giving the media data as read, with the MD5, SHA-1 and
SHA-256 computed over it, and ``actionStatus`` ``Success`` or ``Fail``. Hash methods are
written ``MD5``, ``SHA1`` and ``SHA256``, as UCO's HashNameVocab spells them.

Every ``@id`` is derived from the package id, the file index or the step number (UUIDv5),
so the same inputs always give the same bytes, and the IRIs end in a UUID as UCO advises
(``case_validate`` reports anything else, and by default a report is a failure). Facet and
hash IRIs follow ``case_utils.inherent_uuid``, the scheme other CASE tools use for them.

Continuity. The chain holds what the last step that was not an opening gave: the plaintext
after an acquisition, the ciphertext after a sealing, a transfer or a receipt. Every step
other than an opening takes exactly what the chain holds. An opening is a branch: it takes
some (at least one) or all of the ciphertext files the chain holds, gives the plaintext of
those same files and nothing else, and leaves what the chain holds as it was — the
ciphertext stays in custody, so a package may be opened any number of times, a file at a
time or whole, and a transfer may still follow. Graphs written before openings could name
a subset of the files are valid under this rule as they are.

The document is written in one fixed form: the context below, facets and hashes nested in
their file, everything else at the top of ``@graph`` in the order it happened.
:func:`check_custody` reads that form only; it is Hanoi's own continuity check and does not
replace ``case_validate``, which checks the vocabulary.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from hanoi.crypto.canonical import canonical_json, parse_json
from hanoi.errors import Malformed
from hanoi.evidence.errors import EvidenceError
from hanoi.evidence.manifest import (
    ForensicImage,
    ImageMetadataKey,
    Manifest,
    ManifestFile,
    format_utc,
)

EventKind = Literal["acquisition", "sealing", "transfer", "receipt", "opening"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
FIRST_KINDS = ("acquisition", "sealing")

_UCO = "https://ontology.unifiedcyberontology.org/uco/"
CONTEXT: dict[str, str] = {
    "kb": "urn:hanoi:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": _UCO + "action/",
    "uco-core": _UCO + "core/",
    "uco-identity": _UCO + "identity/",
    "uco-location": _UCO + "location/",
    "uco-observable": _UCO + "observable/",
    "uco-tool": _UCO + "tool/",
    "uco-types": _UCO + "types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# Hanoi's own UUID namespace for the IRIs of custody graphs: fixed forever, or old graphs
# would no longer match the IRIs a newer Hanoi derives for the same package.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hanoi:evidence:custody")

_ACTION = "case-investigation:InvestigativeAction"
_PROVENANCE = "case-investigation:ProvenanceRecord"
_CONTENT_FACET = "uco-observable:ContentDataFacet"
_FILE_FACET = "uco-observable:FileFacet"
_IMAGE = "uco-observable:Image"
_IMAGE_FACET = "uco-observable:ImageFacet"
_PLAIN_ACTION = "uco-action:Action"
# hashlib's names and UCO HashNameVocab's: case_validate refuses any other spelling.
_HASH_METHODS = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}
_METADATA_KEYS: tuple[ImageMetadataKey, ...] = get_args(ImageMetadataKey)
_EWF_DATE = "%a %b %d %H:%M:%S %Y"  # libewf's acquiry_date: "Sun Nov 29 08:03:13 2026"

Side = Literal["plaintext", "ciphertext"]
# What each step takes and gives: continuity means each step takes what the last step that
# was not an opening gave (an opening is a branch; see the module's docstring).
_TAKES: dict[str, Side | None] = {
    "acquisition": None,
    "sealing": "plaintext",
    "transfer": "ciphertext",
    "receipt": "ciphertext",
    "opening": "ciphertext",
}
_GIVES: dict[str, Side] = {
    "acquisition": "plaintext",
    "sealing": "ciphertext",
    "transfer": "ciphertext",
    "receipt": "ciphertext",
    "opening": "plaintext",
}

Node = dict[str, Any]


class CustodyError(EvidenceError, Malformed):
    """A custody graph that cannot be extended: not JSON, not Hanoi's form, or another
    package's."""


@dataclass(frozen=True)
class CustodyEvent:
    """One step in the life of a package, as the custody graph records it."""

    kind: EventKind
    performer: str
    """Who did it: authority code and user name, e.g. ``XB-CA/officer``."""
    organization: str
    """The authority the performer acted for, e.g. ``XB-CA``."""
    tool: str
    """What did it, e.g. ``Hanoi 0.1.0 (hanoi evidence seal)``."""
    at: datetime
    """When; timezone-aware, recorded in UTC."""
    location: str
    """Where: a State (``Borealis (XB)``) or a node URL."""
    description: str = ""
    files: frozenset[int] | None = None
    """The indexes of the files an opening opens; ``None``: every file of the package. Only
    an opening may name files: every other step moves the package whole."""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"a custody event is one of {', '.join(EVENT_KINDS)}")
        if self.files is not None:
            if self.kind != "opening":
                raise ValueError(
                    f"a {self.kind} moves the whole package: only an opening names files"
                )
            if not self.files:
                raise ValueError("an opening names at least one file")
        for field in ("performer", "organization", "tool", "location"):
            if not getattr(self, field).strip():
                raise ValueError(f"a custody event needs a {field}")
        if self.at.utcoffset() is None:
            raise ValueError("a naive time: pass a timezone-aware one")


# --- IRIs ------------------------------------------------------------------------------------


def _iri(class_name: str, name: str) -> str:
    return f"kb:{class_name}-{uuid.uuid5(_NAMESPACE, name)}"


def file_iri(package_id: str, index: int, side: Side) -> str:
    """The IRI of file ``index`` of a package: its plaintext, or its ``.age`` payload."""
    what = "file" if side == "plaintext" else "payload"
    return _iri("File", f"{package_id}/{what}/{index:04d}")


def _action_iri(package_id: str, step: int) -> str:
    return _iri("InvestigativeAction", f"{package_id}/action/{step}")


def _provenance_iri(package_id: str, step: int) -> str:
    return _iri("ProvenanceRecord", f"{package_id}/provenance/{step}")


def _facet_iri(owner_iri: str, facet_class: str) -> str:
    """``case_utils.inherent_uuid.get_facet_uriref``: UUIDv5 of the facet class's full IRI
    in the owner's UUID, so any CASE tool derives the same facet IRI."""
    prefix, local = facet_class.split(":")
    full = CONTEXT[prefix] + local
    return f"kb:{local}-{uuid.uuid5(uuid.UUID(owner_iri[-36:]), full)}"


def _hash_iri(value: str, method: str = "sha256") -> str:
    """``case_utils.inherent_uuid.hash_method_value_uuid``: a hash is named by its value."""
    return f"kb:Hash-{uuid.uuid5(uuid.NAMESPACE_URL, f'urn:hash::{method}:{value.lower()}')}"


def _hash(method: str, value: str) -> Node:
    """A hash; ``method`` in hashlib's spelling (``md5``, ``sha1``, ``sha256``)."""
    return {
        "@id": _hash_iri(value, method),
        "@type": "uco-types:Hash",
        "uco-types:hashMethod": _HASH_METHODS[method],
        "uco-types:hashValue": _typed(value, "xsd:hexBinary"),
    }


def _ref(iri: str) -> Node:
    return {"@id": iri}


def _typed(value: str, datatype: str) -> Node:
    return {"@type": datatype, "@value": value}


# --- building --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FileFacts:
    iri: str
    name: str
    size: int
    sha256: str
    encrypted: bool
    path: str | None = None
    media_type: str | None = None
    description: str | None = None


def _file_facts(manifest: Manifest, entry: ManifestFile, side: Side) -> _FileFacts:
    iri = file_iri(manifest.package_id, entry.index, side)
    if side == "plaintext":
        return _FileFacts(iri, entry.name, entry.size, entry.sha256, False, None, entry.media_type)
    return _FileFacts(
        iri,
        entry.payload_path.rsplit("/", 1)[1],
        entry.ciphertext_size,
        entry.ciphertext_sha256,
        True,
        entry.payload_path,
        None,
        f"{entry.name!r} encrypted with age for {manifest.recipient.state}",
    )


def _file_node(facts: _FileFacts) -> Node:
    """A file with its name and size (FileFacet) and its SHA-256 (ContentDataFacet); the
    hash method is the plain string ``SHA256``, the only form ``case_validate`` accepts."""
    file_facet: Node = {
        "@id": _facet_iri(facts.iri, _FILE_FACET),
        "@type": _FILE_FACET,
        "uco-observable:fileName": facts.name,
        "uco-observable:sizeInBytes": facts.size,
    }
    if facts.path is not None:
        file_facet["uco-observable:filePath"] = facts.path
    content: Node = {
        "@id": _facet_iri(facts.iri, _CONTENT_FACET),
        "@type": _CONTENT_FACET,
        "uco-observable:isEncrypted": facts.encrypted,
        "uco-observable:hash": [_hash("sha256", facts.sha256)],
    }
    if facts.media_type is not None:
        content["uco-observable:mimeType"] = facts.media_type
    node: Node = {"@id": facts.iri, "@type": "uco-observable:File"}
    if facts.description is not None:
        node["uco-core:description"] = facts.description
    node["uco-core:hasFacet"] = [file_facet, content]
    return node


def _file_nodes(manifest: Manifest) -> list[Node]:
    return [
        _file_node(_file_facts(manifest, entry, side))
        for entry in manifest.files
        for side in ("plaintext", "ciphertext")
    ]


def _image_nodes(manifest: Manifest, entry: ManifestFile) -> list[Node]:
    """The acquisition and verification facts of file ``entry`` if it is an EWF image,
    from the manifest alone (so :func:`check_custody` can derive them again and compare)."""
    image = entry.forensic_image
    if image is None:
        return []
    base = f"{manifest.package_id}/image/{entry.index:04d}"
    acquired, read = _iri("Image", f"{base}/acquired"), _iri("Image", f"{base}/read")
    what = f"the forensic image in file {entry.index} ({entry.name!r})"
    # In libewf's order, never the dict's: a manifest read back has its keys sorted.
    header = "".join(f"; {k}: {image.metadata[k]}" for k in _METADATA_KEYS if k in image.metadata)
    acquisition: Node = {
        "@id": _iri("Action", f"{base}/acquisition"),
        "@type": _PLAIN_ACTION,
        "uco-core:name": "acquisition of a forensic image",
        "uco-core:description": f"As recorded in the header of {what}, not witnessed by "
        f"Hanoi{header}",
    }
    agents: list[Node] = []
    if examiner := image.metadata.get("examiner_name"):
        agents.append(_named(_agent_iri("Person", examiner), "uco-identity:Person", examiner))
        acquisition["uco-action:performer"] = _ref(agents[-1]["@id"])
    if version := image.metadata.get("acquiry_software_version"):
        tool = f"EWF acquisition software, version {version}"
        agents.append(_named(_agent_iri("Tool", tool), "uco-tool:Tool", tool))
        acquisition["uco-action:instrument"] = [_ref(agents[-1]["@id"])]
    if started := _ewf_time(image.metadata.get("acquiry_date")):
        # The header's local time has no zone: an xsd:dateTime without one says just that.
        acquisition["uco-action:startTime"] = _typed(started, "xsd:dateTime")
    acquisition["uco-action:result"] = [_ref(acquired)]

    differ = ", ".join(_HASH_METHODS[name] for name in image.mismatches())
    if image.verified:
        verdict = "the hashes stored in it match"
    elif differ:
        verdict = f"it does NOT match the {differ} stored in the image"
    else:
        verdict = "it stores no hash, so it cannot be verified"
    officer = f"{manifest.sealed_by.authority}/{manifest.sealed_by.officer}"
    segments = [file_iri(manifest.package_id, n, "plaintext") for n in image.segments]
    verification: Node = {
        "@id": _iri("Action", f"{base}/verification"),
        "@type": _PLAIN_ACTION,
        "uco-core:name": "verification of a forensic image",
        "uco-core:description": f"The media data of {what}, read and hashed when sealed: {verdict}",
        "uco-action:actionStatus": "Success" if image.verified else "Fail",
        "uco-action:performer": _ref(_agent_iri("Person", officer)),
        "uco-action:startTime": _typed(manifest.sealed_at, "xsd:dateTime"),
        "uco-action:object": [_ref(iri) for iri in [acquired, *segments]],
        "uco-action:result": [_ref(read)],
    }
    stored = {name: value for name, value in image.stored.model_dump().items() if value}
    return [
        acquisition,
        _media_node(acquired, image, stored, f"The media data of {what}, as acquired"),
        *agents,
        verification,
        _media_node(read, image, image.computed.model_dump(), f"The media data of {what}"),
        _named(_agent_iri("Person", officer), "uco-identity:Person", officer),
    ]


def _media_node(iri: str, image: ForensicImage, hashes: dict[str, str], about: str) -> Node:
    content: Node = {
        "@id": _facet_iri(iri, _CONTENT_FACET),
        "@type": _CONTENT_FACET,
        "uco-observable:sizeInBytes": image.media_size,
    }
    if hashes:
        content["uco-observable:hash"] = [_hash(m, v) for m, v in hashes.items()]
    image_facet: Node = {
        "@id": _facet_iri(iri, _IMAGE_FACET),
        "@type": _IMAGE_FACET,
        "uco-observable:imageType": "EWF",
    }
    return {
        "@id": iri,
        "@type": _IMAGE,
        "uco-core:description": about,
        "uco-core:hasFacet": [image_facet, content],
    }


def _ewf_time(value: str | None) -> str | None:
    try:
        return datetime.strptime(value or "", _EWF_DATE).strftime("%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None  # another tool's format: the description still has it as written


def _side_iris(
    manifest: Manifest, side: Side | None, files: frozenset[int] | None = None
) -> list[str]:
    """The IRIs of the files of one side, in manifest order; only ``files`` if given."""
    if side is None:
        return []
    if files is not None:
        unknown = sorted(files - {f.index for f in manifest.files})
        if unknown:
            raise CustodyError(f"package {manifest.package_id} has no file {unknown[0]}")
    return [
        file_iri(manifest.package_id, f.index, side)
        for f in manifest.files
        if files is None or f.index in files
    ]


def _named(iri: str, class_name: str, name: str) -> Node:
    return {"@id": iri, "@type": class_name, "uco-core:name": name}


def _agent_iri(class_name: str, text: str) -> str:
    """People, authorities, tools and places are named by their text alone, so one node
    serves every step and every package that mentions them."""
    return _iri(class_name, f"{class_name.lower()}/{text}")


def _agent_nodes(event: CustodyEvent) -> list[Node]:
    """The performer (a person, affiliated with its authority), the tool and the place."""
    person = _agent_iri("Person", event.performer)
    organization = _agent_iri("Organization", event.organization)
    affiliation: Node = {
        "@id": _iri("Relationship", f"affiliation/{event.performer}/{event.organization}"),
        "@type": "uco-core:Relationship",
        "uco-core:source": [_ref(person)],
        "uco-core:target": _ref(organization),
        "uco-core:isDirectional": True,
        "uco-core:kindOfRelationship": "Affiliated_With",
    }
    return [
        _named(person, "uco-identity:Person", event.performer),
        _named(organization, "uco-identity:Organization", event.organization),
        affiliation,
        _named(_agent_iri("Tool", event.tool), "uco-tool:Tool", event.tool),
        _named(_agent_iri("Location", event.location), "uco-location:Location", event.location),
    ]


def _event_nodes(manifest: Manifest, step: int, event: CustodyEvent) -> list[Node]:
    """The action of one step, its provenance record, and who, what and where."""
    record = _provenance_iri(manifest.package_id, step)
    gives = _side_iris(manifest, _GIVES[event.kind], event.files)
    return [
        _action_node(manifest, step, event, [*gives, record]),
        _provenance_node(manifest, record, event.kind, gives),
        *_agent_nodes(event),
    ]


def _action_node(manifest: Manifest, step: int, event: CustodyEvent, results: list[str]) -> Node:
    """One step: an instant (start = end), taking the files of one side and giving those of
    the other side (or the same side, for a transfer or a receipt)."""
    moment = _typed(format_utc(event.at), "xsd:dateTime")
    action: Node = {"@id": _action_iri(manifest.package_id, step), "@type": _ACTION}
    action["uco-core:name"] = event.kind
    if event.description:
        action["uco-core:description"] = event.description
    action["uco-action:performer"] = _ref(_agent_iri("Person", event.performer))
    action["uco-action:instrument"] = [_ref(_agent_iri("Tool", event.tool))]
    action["uco-action:location"] = [_ref(_agent_iri("Location", event.location))]
    action["uco-action:startTime"] = moment
    action["uco-action:endTime"] = moment
    takes = _side_iris(manifest, _TAKES[event.kind], event.files)
    if takes:
        action["uco-action:object"] = [_ref(iri) for iri in takes]
    action["uco-action:result"] = [_ref(iri) for iri in results]
    return action


def _provenance_node(manifest: Manifest, iri: str, kind: str, objects: list[str]) -> Node:
    """The package is the exhibit: its number is the package id, at every step."""
    about = f" for request {manifest.request}" if manifest.request else ""
    return {
        "@id": iri,
        "@type": _PROVENANCE,
        "uco-core:description": f"Evidence package {manifest.package_id}{about} after {kind}",
        "case-investigation:exhibitNumber": manifest.package_id,
        "uco-core:object": [_ref(o) for o in objects],
    }


def _append(nodes: list[Node], new: list[Node]) -> None:
    """Add nodes not yet in the graph; a shared person, tool or location appears once."""
    present = {node.get("@id") for node in nodes if isinstance(node, dict)}
    for node in new:
        if node["@id"] not in present:
            nodes.append(node)
            present.add(node["@id"])


def custody_graph(manifest: Manifest, events: Sequence[CustodyEvent]) -> dict[str, Any]:
    """The custody graph of a package after ``events``, in the order given.

    Nothing is refused here beyond malformed events: an out-of-order or broken chain is
    written as it was told, and :func:`check_custody` is what says it is broken.
    """
    nodes = _file_nodes(manifest)
    for entry in manifest.files:
        _append(nodes, _image_nodes(manifest, entry))
    for step, event in enumerate(events, start=1):
        _append(nodes, _event_nodes(manifest, step, event))
    return {"@context": dict(CONTEXT), "@graph": nodes}


def custody_bytes(graph: dict[str, Any]) -> bytes:
    """The bytes of ``custody.jsonld``: RFC 8785, so equal graphs give equal bytes."""
    return canonical_json(graph)


def add_event(graph_bytes: bytes, manifest: Manifest, event: CustodyEvent) -> bytes:
    """``custody.jsonld`` with one more step appended (a receipt, an opening ...).

    The nodes already there are kept exactly as they are; only new ones are added at the
    end, so an earlier party's record is never rewritten.
    """
    graph = _load(graph_bytes)
    nodes: list[Node] = graph["@graph"]
    present = {node.get("@id") for node in nodes if isinstance(node, dict)}
    missing = [iri for iri in _side_iris(manifest, "plaintext") if iri not in present]
    if missing:
        raise CustodyError(f"custody.jsonld: not the custody graph of {manifest.package_id}")
    step = len(list(_actions(nodes))) + 1
    if _action_iri(manifest.package_id, step) in present:
        raise CustodyError(f"custody.jsonld: step {step} is already recorded (steps removed?)")
    _append(nodes, _event_nodes(manifest, step, event))
    return custody_bytes(graph)


def _load(data: bytes) -> dict[str, Any]:
    try:
        graph = parse_json(data, unique_keys=True)
    except ValueError as exc:
        raise CustodyError(f"custody.jsonld: {exc}") from None
    if not _our_form(graph):
        raise CustodyError("custody.jsonld: not a Hanoi custody graph")
    return graph  # type: ignore[no-any-return]


def _our_form(graph: object) -> bool:
    return (
        isinstance(graph, dict)
        and graph.get("@context") == CONTEXT
        and isinstance(graph.get("@graph"), list)
    )


# --- checking --------------------------------------------------------------------------------


def check_custody(graph: dict[str, Any], manifest: Manifest) -> list[str]:
    """Hanoi's continuity checks of a custody graph against its (verified) manifest.

    Every file appears with both hashes equal to the manifest's; the facts of each EWF
    image are exactly those its manifest entry gives, and no others are there; the steps
    are in time order; the first is an acquisition or a sealing; each later step takes
    what the chain holds, or for an opening some of it, giving the plaintext of exactly
    the files it takes (see the module's docstring). Returns every problem found, each one
    line; an empty list means none.
    """
    if not _our_form(graph):
        return ["custody graph: not a Hanoi custody graph (unexpected @context or no @graph)"]
    nodes: list[Any] = graph["@graph"]
    index = {n["@id"]: n for n in nodes if isinstance(n, dict) and isinstance(n.get("@id"), str)}
    problems: list[str] = []
    for entry in manifest.files:
        for side in ("plaintext", "ciphertext"):
            expected = _file_facts(manifest, entry, side)
            problems += _check_file(index.get(expected.iri), expected, _label(entry, side))
    problems += _check_images(manifest, index)
    return problems + _check_events(manifest, list(_actions(nodes)), index)


def _check_images(manifest: Manifest, index: dict[str, Any]) -> list[str]:
    """The image facts are derived from the signed manifest, so they must equal it node for
    node; an image or plain action that no image of the manifest explains is refused."""
    problems = []
    known: set[str] = set()
    for entry in manifest.files:
        expected = _image_nodes(manifest, entry)
        known |= {node["@id"] for node in expected}
        if any(index.get(node["@id"]) != node for node in expected):
            problems.append(
                f"{_label(entry, 'plaintext')}: the forensic image facts in the custody graph "
                "differ from the manifest"
            )
    if any(n.get("@type") in (_IMAGE, _PLAIN_ACTION) and i not in known for i, n in index.items()):
        problems.append("custody graph: forensic image facts that the manifest does not have")
    return problems


def _label(entry: ManifestFile, side: Side) -> str:
    if side == "plaintext":
        return f"file {entry.index} ({entry.name!r})"
    return entry.payload_path


def _check_file(node: Any, expected: _FileFacts, label: str) -> list[str]:
    if not isinstance(node, dict) or node.get("@type") != "uco-observable:File":
        return [f"{label}: missing from the custody graph"]
    problems: list[str] = []
    facet = _facet(node, _FILE_FACET)
    if facet.get("uco-observable:fileName") != expected.name:
        problems.append(f"{label}: the custody graph gives another file name")
    if facet.get("uco-observable:sizeInBytes") != expected.size:
        problems.append(f"{label}: the custody graph gives another size")
    hashes = _sha256s(_facet(node, _CONTENT_FACET))
    if not hashes:
        problems.append(f"{label}: no SHA256 hash in the custody graph")
    elif any(h.lower() != expected.sha256 for h in hashes):
        problems.append(f"{label}: SHA-256 in the custody graph differs from the manifest")
    return problems


def _facet(node: Node, facet_class: str) -> Node:
    """The node's facet of that class; an empty dict if it has none."""
    for facet in _list(node.get("uco-core:hasFacet")):
        if isinstance(facet, dict) and facet.get("@type") == facet_class:
            return facet
    return {}


def _sha256s(content: Node) -> list[str]:
    values: list[str] = []
    for entry in _list(content.get("uco-observable:hash")):
        if isinstance(entry, dict) and entry.get("uco-types:hashMethod") == "SHA256":
            value = _value(entry.get("uco-types:hashValue"))
            values.append(value if isinstance(value, str) else "")
    return values


def _actions(nodes: list[Any]) -> Iterator[Node]:
    """The steps, in the order they were recorded (document order, not sorted by time:
    sorting would hide exactly the disorder the checks look for)."""
    for node in nodes:
        if isinstance(node, dict) and node.get("@type") == _ACTION:
            yield node


def _check_events(manifest: Manifest, actions: list[Node], index: dict[str, Any]) -> list[str]:
    if not actions:
        return ["custody graph: no custody events"]
    names = [f"event {n} ({a.get('uco-core:name')})" for n, a in enumerate(actions, start=1)]
    problems = _check_first(manifest, actions[0], names[0], index)
    problems += _check_times(actions, names)
    # What the chain holds, and the step that gave it: openings branch off and change neither.
    holder, held = 0, _ids(actions[0], "uco-action:result", index)
    plaintext_of = {
        file_iri(manifest.package_id, f.index, "ciphertext"): file_iri(
            manifest.package_id, f.index, "plaintext"
        )
        for f in manifest.files
    }
    for n in range(1, len(actions)):
        takes = _ids(actions[n], "uco-action:object", index)
        if actions[n].get("uco-core:name") != "opening":
            if takes != held:
                problems.append(
                    f"{names[n]}: does not take what {names[holder]} gave: broken custody"
                )
            holder, held = n, _ids(actions[n], "uco-action:result", index)
            continue
        if not takes or not takes <= held or not takes <= plaintext_of.keys():
            problems.append(
                f"{names[n]}: opens files that {names[holder]} did not give: broken custody"
            )
        elif _ids(actions[n], "uco-action:result", index) != {plaintext_of[t] for t in takes}:
            problems.append(
                f"{names[n]}: does not give the plaintext of the files it opens: broken custody"
            )
    return problems


def _check_first(manifest: Manifest, first: Node, name: str, index: dict[str, Any]) -> list[str]:
    """The chain starts where the files entered Hanoi: acquired, or sealed directly."""
    kind = first.get("uco-core:name")
    if kind not in FIRST_KINDS:
        return [f"{name}: custody must start with an acquisition or a sealing"]
    expected = set(_side_iris(manifest, _GIVES[kind]))
    if _ids(first, "uco-action:result", index) != expected:
        return [f"{name}: does not give the files of package {manifest.package_id}"]
    return []


def _check_times(actions: list[Node], names: list[str]) -> list[str]:
    problems: list[str] = []
    last_end: datetime | None = None
    for action, name in zip(actions, names, strict=True):
        start = _time(action.get("uco-action:startTime"))
        end = _time(action.get("uco-action:endTime"))
        if start is None or end is None:
            problems.append(f"{name}: no valid start and end time")
            continue
        if end < start:
            problems.append(f"{name}: ends before it starts")
        if last_end is not None and start < last_end:
            problems.append(f"{name}: starts before the event recorded before it ended")
        last_end = end
    return problems


def _ids(action: Node, prop: str, index: dict[str, Any]) -> set[str]:
    """The files an action refers to under ``prop``; provenance records are left out."""
    iris = {_value_id(ref) for ref in _list(action.get(prop))}
    return {
        iri
        for iri in iris
        if iri is not None and not (isinstance(index.get(iri), dict) and _is_record(index[iri]))
    }


def _is_record(node: Node) -> bool:
    return node.get("@type") == _PROVENANCE


def _time(value: Any) -> datetime | None:
    if not isinstance(value, dict) or value.get("@type") != "xsd:dateTime":
        return None
    try:
        moment = datetime.fromisoformat(str(value.get("@value")))
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def _value(value: Any) -> Any:
    return value.get("@value") if isinstance(value, dict) else value


def _value_id(value: Any) -> str | None:
    iri = value.get("@id") if isinstance(value, dict) else None
    return iri if isinstance(iri, str) else None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]

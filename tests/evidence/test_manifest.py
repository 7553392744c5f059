"""The evidence manifest: canonical, signed, and strict about names and hashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanoi.crypto.envelope import BadSignature, UnknownSignerKey
from hanoi.evidence.manifest import (
    Manifest,
    ManifestError,
    format_utc,
    parse_manifest,
    sign_manifest,
    verify_manifest,
)

KEY = Ed25519PrivateKey.generate()
KID = "K" * 43
RECIPIENT = "age1" + "q" * 58


def _keys(kid: str) -> list[Ed25519PublicKey]:
    return [KEY.public_key()] if kid == KID else []


def _raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "format": "hanoi.evidence-manifest/1",
        "package_id": "01JD0000000000000000000000",
        "request": "XA-2026-000002",
        "sealed_by": {"state": "XB", "authority": "XB-CA", "officer": "officer", "node_kid": KID},
        "sealed_at": format_utc(datetime(2026, 11, 29, 10, 0, tzinfo=UTC)),
        "recipient": {"state": "XA", "authority": "XA-CA", "age_recipient": RECIPIENT},
        "files": [
            {
                "index": 1,
                "name": "mailbox export.mbox",
                "size": 12,
                "media_type": "application/mbox",
                "sha256": "a" * 64,
                "ciphertext_size": 240,
                "ciphertext_sha256": "b" * 64,
            }
        ],
    }
    return raw | changes


def _file(**changes: Any) -> dict[str, Any]:
    return dict(_raw()["files"][0]) | changes


def test_signed_manifest_verifies_and_round_trips() -> None:
    manifest = Manifest.model_validate(_raw())
    data, signature = sign_manifest(manifest, (KEY, KID))
    assert (
        data == manifest.to_bytes()
        and json.loads(data)["files"][0]["name"] == "mailbox export.mbox"
    )
    assert verify_manifest(data, signature, keys_for=_keys) == manifest
    assert manifest.files[0].payload_path == "payload/0001.age"


def test_an_edited_manifest_or_another_signer_fails() -> None:
    data, signature = sign_manifest(Manifest.model_validate(_raw()), (KEY, KID))
    edited = data.replace(b'"size":12', b'"size":13')
    with pytest.raises(BadSignature):
        verify_manifest(edited, signature, keys_for=_keys)
    with pytest.raises(UnknownSignerKey):
        verify_manifest(data, signature, keys_for=lambda kid: [])
    with pytest.raises(ManifestError, match="another node key"):
        sign_manifest(Manifest.model_validate(_raw()), (KEY, "Z" * 43))


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../etc/passwd", "plain name"),
        ("/abs", "plain name"),
        ("a\\b", "plain name"),
        ("..", "plain name"),
        ("line\nbreak", "control"),
        ("nul\x00", "control"),
        ("rtl\u202etxt", "control"),
        (" padded", "spaces"),
        ("e\u0301", "NFC"),
        ("x" * 256, "255 bytes"),
    ],
)
def test_unsafe_file_names_are_refused(name: str, why: str) -> None:
    raw = _raw(files=[_file(name=name)])
    with pytest.raises(ManifestError, match=why):
        parse_manifest(json.dumps(raw, separators=(",", ":"), sort_keys=True).encode())


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ([_file(), _file(index=2, name="MAILBOX EXPORT.mbox")], "same name"),
        ([_file(index=2)], "numbered"),
        ([], "at least 1"),
        ([_file(sha256="A" * 64)], "pattern"),
        ([_file(size=-1)], "greater than or equal"),
        ([_file(media_type="not a type")], "pattern"),
        ([_file(extra=1)], "Extra inputs"),
    ],
)
def test_inconsistent_files_are_refused(files: list[dict[str, Any]], why: str) -> None:
    data = json.dumps(_raw(files=files), separators=(",", ":"), sort_keys=True).encode()
    with pytest.raises(ManifestError, match=why):
        parse_manifest(data)


def test_only_canonical_json_without_duplicate_keys_is_read() -> None:
    manifest = Manifest.model_validate(_raw())
    pretty = json.dumps(manifest.model_dump(mode="json"), indent=2).encode()
    with pytest.raises(ManifestError, match="canonical"):
        parse_manifest(pretty)
    data = manifest.to_bytes()
    assert data.count(b'"state":"XA"}') == 1
    duplicated = data.replace(b'"state":"XA"}', b'"state":"XA","state":"XA"}')
    with pytest.raises(ManifestError, match="duplicate key 'state'"):
        parse_manifest(duplicated)
    for bad in (b"\xff", b"[]", b"{", b'{"format":"other"}'):
        with pytest.raises(ManifestError):
            parse_manifest(bad)
    with pytest.raises(ManifestError, match="RFC 3339"):
        parse_manifest(
            json.dumps(
                _raw(sealed_at="2026-11-29 10:00"), separators=(",", ":"), sort_keys=True
            ).encode()
        )


# --- forensic images -------------------------------------------------------------------------

MD5, SHA1, SHA256 = "a1" * 16, "b2" * 20, "c3" * 32


def _image(**changes: Any) -> dict[str, Any]:
    image: dict[str, Any] = {
        "format": "ewf",
        "segments": [1],
        "media_size": 3145728,
        "stored": {"md5": MD5, "sha1": SHA1, "sha256": None},
        "computed": {"md5": MD5, "sha1": SHA1, "sha256": SHA256},
        "verified": True,
        "metadata": {"case_number": "XB-2026-000042", "examiner_name": "Ann Examiner"},
    }
    return image | changes


def _with_image(**changes: Any) -> bytes:
    raw = _raw(files=[_file(forensic_image=_image(**changes))])
    return json.dumps(raw, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def test_a_manifest_without_images_keeps_its_bytes() -> None:
    """Packages sealed before images were recorded must still verify: same bytes."""
    expected = (
        '{"files":[{"ciphertext_sha256":"BBB","ciphertext_size":240,"index":1,'
        '"media_type":"application/mbox","name":"mailbox export.mbox","sha256":"AAA","size":12}],'
        '"format":"hanoi.evidence-manifest/1","package_id":"01JD0000000000000000000000",'
        '"recipient":{"age_recipient":"RECIPIENT","authority":"XA-CA","state":"XA"},'
        '"request":"XA-2026-000002","sealed_at":"2026-11-29T10:00:00.000000Z",'
        '"sealed_by":{"authority":"XB-CA","node_kid":"KID","officer":"officer","state":"XB"}}'
    )
    values = {"AAA": "a" * 64, "BBB": "b" * 64, "RECIPIENT": RECIPIENT, "KID": KID}
    for placeholder, value in values.items():
        expected = expected.replace(placeholder, value)
    assert Manifest.model_validate(_raw()).to_bytes() == expected.encode()
    nulled = json.loads(_with_image())
    nulled["files"][0]["forensic_image"] = None
    with pytest.raises(ManifestError, match="canonical"):  # absent, never null
        parse_manifest(json.dumps(nulled, separators=(",", ":"), sort_keys=True).encode())


def test_an_image_round_trips() -> None:
    data = Manifest.model_validate(json.loads(_with_image())).to_bytes()
    image = parse_manifest(data).files[0].forensic_image
    assert image is not None and image.verified and image.mismatches() == []


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"verified": False}, "verified must say"),
        ({"stored": {"md5": "0" * 32, "sha1": SHA1, "sha256": None}}, "verified must say"),
        ({"stored": {"md5": None, "sha1": None, "sha256": None}}, "verified must say"),
        ({"stored": {"md5": MD5.upper(), "sha1": SHA1, "sha256": None}}, "pattern"),
        ({"computed": {"md5": MD5, "sha1": SHA1}}, "Field required"),
        ({"format": "aff4"}, "Input should be 'ewf'"),
        ({"segments": [2]}, "first segment"),
        ({"segments": [1, 2]}, "not a file of the package"),
        ({"segments": []}, "at least 1"),
        ({"media_size": -1}, "greater than or equal"),
        ({"metadata": {"password": "x"}}, "Input should be"),
        ({"metadata": {"notes": "x" * 4097}}, "at most 4096"),
        ({"metadata": {"notes": ""}}, "at least 1"),
        ({"metadata": {"notes": "bell\x07"}}, "control"),
        ({"extra": 1}, "Extra inputs"),
    ],
)
def test_inconsistent_images_are_refused(changes: dict[str, Any], why: str) -> None:
    with pytest.raises(ManifestError, match=why):
        parse_manifest(_with_image(**changes))


def test_an_unverified_image_names_the_hashes_that_differ() -> None:
    bad = {"md5": "0" * 32, "sha1": SHA1, "sha256": None}
    image = parse_manifest(_with_image(stored=bad, verified=False)).files[0].forensic_image
    assert image is not None and image.mismatches() == ["md5"]
    multi = _raw(files=[_file(forensic_image=_image(segments=[1, 1]))])
    with pytest.raises(ManifestError, match="segment of two images"):
        parse_manifest(json.dumps(multi, separators=(",", ":"), sort_keys=True).encode())

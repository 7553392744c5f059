"""The node's key store: JWKs and thumbprints, files and modes, passphrases, rotation,
grace periods and revocation, and damaged or wrong input."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from hanoi.crypto import (
    CryptoError,
    KeyStore,
    KeyStoreError,
    jwk_thumbprint,
)
from tests.raising import raises_check

PASSPHRASE = "correct horse battery staple"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "node")
    store.init(now=T0)
    return store


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    # Protecting costs seconds (scrypt for age, PBKDF2 for the JWKs): made once, read only.
    store = KeyStore(tmp_path_factory.mktemp("protected") / "node")
    store.init(PASSPHRASE, now=T0)
    return store


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(store: KeyStore, payload: bytes) -> str:
    signing = store.signing_key()
    header = {"alg": "Ed25519", "kid": signing.kid}
    return jws.serialize_compact(header, payload, signing.jwk(), algorithms=["Ed25519"])


def _verifies(store: KeyStore, token: str, at: datetime) -> bool:
    keys = store.verification_keys(at)
    if not keys:
        return False
    try:
        jws.deserialize_compact(token, KeySet(keys), algorithms=["Ed25519"])
    except (JoseError, ValueError):  # bad signature, or no key with its kid
        return False
    return True


# --- keys and thumbprints ------------------------------------------------------------------


def test_rfc8037_thumbprint_vector() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the appendix A.2 Ed25519 public key.
    key = OKPKey.import_key(
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    )
    assert jwk_thumbprint(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_kids_are_rfc7638_thumbprints(store: KeyStore) -> None:
    jwks = store.public_jwks(now=T0)
    assert [k["crv"] for k in jwks["keys"]] == ["Ed25519", "X25519"]
    for key in jwks["keys"]:
        # RFC 7638 §3.2: the required members of an OKP key, in order, no whitespace.
        members = {"crv": key["crv"], "kty": key["kty"], "x": key["x"]}
        by_hand = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
        assert by_hand == f'{{"crv":"{key["crv"]}","kty":"OKP","x":"{key["x"]}"}}'.encode()
        assert key["kid"] == _b64url(hashlib.sha256(by_hand).digest())
        assert key["kid"] == OKPKey.import_key(members).thumbprint()
        assert key["status"] == "active"
        assert "d" not in key


def test_jwk_parameters(store: KeyStore) -> None:
    signing, encryption = store.public_jwks(now=T0)["keys"]
    assert (signing["use"], signing["alg"]) == ("sig", "Ed25519")
    assert (encryption["use"], encryption["alg"]) == ("enc", "ECDH-ES+A256KW")
    assert signing["kid"] == store.signing_key().kid == store.active_kid("signing")
    assert encryption["kid"] == store.encryption_key().kid == store.active_kid("encryption")
    assert store.signing_key().jwk().as_dict(private=False) == {
        k: v for k, v in signing.items() if k not in {"status", "created"}
    }


def test_the_jwks_works_with_joserfc(store: KeyStore) -> None:
    keyset = KeySet.import_key_set(store.public_jwks())  # type: ignore[arg-type]
    token = _sign(store, b"hello")
    assert jws.deserialize_compact(token, keyset, algorithms=["Ed25519"]).payload == b"hello"

    public = keyset.get_by_kid(store.encryption_key().kid)
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": public.kid}
    algorithms = ["ECDH-ES+A256KW", "A256GCM"]
    sealed = jwe.encrypt_compact(header, b"secret", public, algorithms=algorithms)
    private = store.encryption_key().jwk()
    assert jwe.decrypt_compact(sealed, private, algorithms=algorithms).plaintext == b"secret"


# --- files ---------------------------------------------------------------------------------


def test_files_are_owner_only(store: KeyStore) -> None:
    store.rotate("signing", now=T0 + DAY)
    assert stat.S_IMODE(store.home.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    names = sorted(p.name for p in store.directory.iterdir() if not p.name.startswith("."))
    assert "keyring.json" in names and "age-identity.txt" in names
    assert len([n for n in names if n.endswith(".jwk")]) == 2  # the old signing key is gone
    for path in store.directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not list(store.directory.glob("*.tmp")), "temporary files left behind"


def test_keyring_holds_no_private_material(store: KeyStore) -> None:
    keyring = store.keyring_path.read_text()
    for kind in ("signing", "encryption"):
        private = store.signing_key() if kind == "signing" else store.encryption_key()
        d = private.jwk().as_dict(private=True)["d"]
        assert d not in keyring
    assert "AGE-SECRET-KEY" not in keyring
    assert store.age_recipient() in keyring


def test_init_refuses_existing_keys(store: KeyStore) -> None:
    before = store.keyring_path.read_bytes()
    with pytest.raises(KeyStoreError, match="already holds keys"):
        store.init()
    with pytest.raises(KeyStoreError, match="already holds keys"):
        KeyStore(store.home).init(PASSPHRASE)
    assert store.keyring_path.read_bytes() == before


def test_init_refuses_a_folder_with_stray_files(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "age-identity.txt").write_text("someone else's key\n")
    with pytest.raises(KeyStoreError):
        KeyStore(tmp_path).init()
    assert (tmp_path / "keys" / "age-identity.txt").read_text() == "someone else's key\n"


def test_no_keys_yet(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    assert not store.exists()
    for call in (store.public_jwks, store.signing_key, store.age_recipient, store.records):
        with pytest.raises(KeyStoreError, match="initialise"):
            call()


# --- damaged files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "[]",
        lambda text: text.replace('"format": "hanoi-keyring/1"', '"format": "other"'),
        lambda text: text.replace('"status": "active"', '"status": "sleeping"', 1),
        lambda text: text.replace('"kind": "signing"', '"kind": "encryption"', 1),
        lambda text: text.replace('"created": "2026', '"created": "yesterday', 1),
    ],
)
def test_a_damaged_keyring_is_refused_with_its_path(store: KeyStore, damage: object) -> None:
    text = store.keyring_path.read_text()
    store.keyring_path.write_text(damage(text))  # type: ignore[operator]
    with pytest.raises(KeyStoreError) as info:
        store.public_jwks()
    assert str(store.keyring_path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_swapped_public_key_is_caught_by_its_thumbprint(store: KeyStore) -> None:
    data = json.loads(store.keyring_path.read_text())
    other = OKPKey.generate_key("Ed25519").as_dict(private=False)
    data["keys"][0]["jwk"]["x"] = other["x"]
    store.keyring_path.write_text(json.dumps(data))
    with pytest.raises(KeyStoreError, match="does not match its kid"):
        store.verification_keys(T0)


def test_a_swapped_private_key_file_is_refused(store: KeyStore) -> None:
    kid = store.active_kid("signing")
    other = OKPKey.generate_key("Ed25519", private=True).as_dict(private=True)
    (store.directory / f"signing-{kid}.jwk").write_text(json.dumps(other))
    with pytest.raises(KeyStoreError, match="does not hold the private key"):
        store.signing_key()
    (store.directory / f"signing-{kid}.jwk").write_text("{not json")
    with pytest.raises(KeyStoreError, match="readable JWK"):
        store.signing_key()


def test_a_private_key_file_whose_secret_is_not_its_public_key_is_refused(
    store: KeyStore,
) -> None:
    """The file keeps the key's own x and kid, but another key's d: not one key pair."""
    kid = store.active_kid("signing")
    path = store.directory / f"signing-{kid}.jwk"
    jwk = json.loads(path.read_text())
    jwk["d"] = OKPKey.generate_key("Ed25519", private=True).as_dict(private=True)["d"]
    path.write_text(json.dumps(jwk))
    with pytest.raises(KeyStoreError, match="does not hold the private key"):
        store.signing_key()


def test_a_damaged_age_identity_is_refused(store: KeyStore) -> None:
    path = store.directory / "age-identity.txt"
    path.write_text("# created: 2026-01-01T00:00:00Z\n")
    with pytest.raises(KeyStoreError, match="AGE-SECRET-KEY"):
        store.age_identity()
    path.unlink()
    with pytest.raises(KeyStoreError, match="missing"):
        store.age_identity()


# --- passphrases ---------------------------------------------------------------------------


def test_protected_keys_open_with_the_passphrase(protected: KeyStore) -> None:
    assert protected.keyring().protected
    files = sorted(p.name for p in protected.directory.iterdir() if not p.name.startswith("."))
    assert "age-identity.txt.age" in files and "age-identity.txt" not in files
    assert len([f for f in files if f.endswith(".jwe")]) == 2 and not any(
        f.endswith(".jwk") for f in files
    )
    signing = protected.signing_key(PASSPHRASE)
    encryption = protected.encryption_key(PASSPHRASE)
    identity = protected.age_identity(PASSPHRASE)
    assert str(identity.to_public()) == protected.age_recipient()
    # Nothing private is readable without the passphrase: not the JWK "d", not the age key.
    stored = b"".join(p.read_bytes() for p in protected.directory.iterdir())
    for secret in (
        signing.jwk().as_dict(private=True)["d"],
        encryption.jwk().as_dict(private=True)["d"],
        str(identity),
        PASSPHRASE,
    ):
        assert secret.encode() not in stored
    # The public side needs no passphrase.
    assert len(protected.public_jwks()["keys"]) == 2
    assert len(protected.verification_keys(T0)) == 1


def test_protected_keys_refuse_a_wrong_or_missing_passphrase(protected: KeyStore) -> None:
    for call in (protected.signing_key, protected.encryption_key, protected.age_identity):
        with raises_check(KeyStoreError, "passphrase") as info:
            call("wrong horse battery staple")
        assert "wrong passphrase" in str(info.value)
        assert "horse" not in str(info.value)
        with pytest.raises(KeyStoreError, match="passphrase is needed") as missing:
            call()
        assert missing.value.check != "passphrase"


def test_a_rotation_keeps_one_passphrase(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.init(PASSPHRASE, now=T0)
    before = store.keyring_path.read_bytes()
    with raises_check(KeyStoreError, "passphrase"):
        store.rotate("signing", now=T0 + DAY, passphrase="another passphrase")
    with pytest.raises(KeyStoreError, match="passphrase is needed"):
        store.rotate("signing", now=T0 + DAY)
    assert store.keyring_path.read_bytes() == before
    new = store.rotate("signing", now=T0 + DAY, passphrase=PASSPHRASE)
    assert store.signing_key(PASSPHRASE).kid == new.kid


def test_unprotected_keys_take_no_passphrase(store: KeyStore) -> None:
    with pytest.raises(KeyStoreError, match="not passphrase-protected"):
        store.signing_key(PASSPHRASE)
    with pytest.raises(KeyStoreError, match="not passphrase-protected"):
        store.rotate("signing", passphrase=PASSPHRASE)


@pytest.mark.parametrize("passphrase", ["", "short", "x" * 1025])
def test_weak_or_absurd_passphrases_are_refused(tmp_path: Path, passphrase: str) -> None:
    with pytest.raises(KeyStoreError, match="passphrase needs"):
        KeyStore(tmp_path).init(passphrase)
    assert not (tmp_path / "keys" / "keyring.json").exists()


# --- rotation, grace, revocation -----------------------------------------------------------


def test_rotation_grace_and_retirement(store: KeyStore) -> None:
    old_kid = store.signing_key().kid
    old_token = _sign(store, b"signed before the rotation")
    rotated_at = T0 + 10 * DAY

    new = store.rotate("signing", timedelta(days=30), now=rotated_at)
    assert new.kid != old_kid and new.status == "active"
    new_token = _sign(store, b"signed after the rotation")
    assert jws.extract_compact(new_token.encode()).protected["kid"] == new.kid
    assert store.signing_key().kid == new.kid  # new signatures use the new key

    # Signed at T0 + 1 day: the old key verifies it, also when checked during grace.
    assert _verifies(store, old_token, T0 + DAY)
    assert _verifies(store, old_token, rotated_at + 29 * DAY)
    assert {k.kid for k in store.verification_keys(rotated_at + DAY)} == {old_kid, new.kid}
    # After the grace period the old key is refused; the new one is not.
    assert not _verifies(store, old_token, rotated_at + 30 * DAY)
    assert [k.kid for k in store.verification_keys(rotated_at + 31 * DAY)] == [new.kid]
    assert _verifies(store, new_token, rotated_at + 31 * DAY)
    # Before its creation the new key verifies nothing.
    assert not _verifies(store, new_token, rotated_at - DAY)

    statuses = {k["kid"]: k["status"] for k in store.public_jwks(now=rotated_at + DAY)["keys"]}
    assert statuses[old_kid] == "grace"
    grace_end = {k["kid"]: k.get("not_after") for k in store.public_jwks()["keys"]}[old_kid]
    assert grace_end == "2026-02-10T12:00:00Z"

    assert store.retire_expired(now=rotated_at + DAY) == []
    assert store.retire_expired(now=rotated_at + 30 * DAY) == [old_kid]
    assert store.keyring().find(old_kid).status == "retired"
    assert store.retire_expired(now=rotated_at + 31 * DAY) == []
    # Retired is about new signatures: a signature made while the key was active still checks.
    assert _verifies(store, old_token, T0 + DAY)


def test_the_old_signing_key_can_never_sign_again(store: KeyStore) -> None:
    old_kid = store.signing_key().kid
    store.rotate("signing", now=T0 + DAY)
    assert not list(store.directory.glob(f"*{old_kid}*"))
    assert store.signing_key().kid != old_kid


def test_encryption_rotation_keeps_the_old_private_key(store: KeyStore) -> None:
    old = store.encryption_key()
    new = store.rotate("encryption", timedelta(days=7), now=T0 + DAY)
    assert store.encryption_key().kid == new.kid
    assert store.encryption_key(kid=old.kid).jwk().thumbprint() == old.kid
    with raises_check(KeyStoreError, "unknown-key", match="not an encryption key"):
        store.encryption_key(kid=store.signing_key().kid)
    with raises_check(KeyStoreError, "unknown-key"):
        store.encryption_key(kid="A" * 43)
    assert store.verification_keys(T0 + 2 * DAY)[0].kid == store.signing_key().kid


def test_zero_grace_retires_at_once(store: KeyStore) -> None:
    old_kid = store.signing_key().kid
    store.rotate("signing", timedelta(0), now=T0 + DAY)
    assert store.keyring().find(old_kid).status == "retired"
    assert old_kid not in {k.kid for k in store.verification_keys(T0 + DAY)}
    assert old_kid in {k.kid for k in store.verification_keys(T0 + DAY - timedelta(seconds=1))}


def test_revocation(store: KeyStore) -> None:
    token = _sign(store, b"signed before the revocation")
    kid = store.signing_key().kid
    revoked_at = T0 + 5 * DAY

    record = store.revoke(kid, "  key copied to a\nlost laptop ", now=revoked_at)
    assert record.status == "revoked" and record.revocation_reason == "key copied to a lost laptop"
    assert _verifies(store, token, revoked_at - timedelta(seconds=1))
    assert not _verifies(store, token, revoked_at)
    assert store.verification_keys(revoked_at + DAY) == []
    with pytest.raises(KeyStoreError, match="no active signing key"):
        store.signing_key()
    assert not list(store.directory.glob(f"*{kid}*"))  # its private part is gone
    published = store.public_jwks()["keys"][0]
    assert published["status"] == "revoked" and published["revoked_at"] == "2026-01-06T12:00:00Z"
    assert "lost laptop" not in json.dumps(published)  # the reason stays in the keyring

    with pytest.raises(KeyStoreError, match="already revoked"):
        store.revoke(kid, "again", now=revoked_at + DAY)
    new = store.rotate("signing", now=revoked_at + DAY)
    assert store.signing_key().kid == new.kid
    assert store.keyring().find(kid).status == "revoked"  # rotation leaves it revoked


def test_revoking_a_key_in_grace_ends_its_grace(store: KeyStore) -> None:
    old_kid = store.signing_key().kid
    store.rotate("signing", timedelta(days=30), now=T0 + DAY)
    store.revoke(old_kid, "superseded and suspected", now=T0 + 2 * DAY)
    assert old_kid not in {k.kid for k in store.verification_keys(T0 + 3 * DAY)}
    assert old_kid in {k.kid for k in store.verification_keys(T0 + DAY)}
    assert store.retire_expired(now=T0 + 40 * DAY) == []  # revoked stays revoked


def test_bad_rotation_and_revocation_input(store: KeyStore) -> None:
    before = store.keyring_path.read_bytes()
    with pytest.raises(KeyStoreError, match="unknown key kind"):
        store.rotate("age", now=T0)  # type: ignore[arg-type]
    with pytest.raises(KeyStoreError, match="negative"):
        store.rotate("signing", timedelta(days=-1), now=T0)
    with raises_check(KeyStoreError, "unknown-key", match="no key with kid"):
        store.revoke("not-a-kid", "why")
    for reason in ("", "   \n", "x" * 501):
        with pytest.raises(KeyStoreError, match="reason"):
            store.revoke(store.signing_key().kid, reason)
    naive = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.rotate("signing", now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.verification_keys(naive)
    assert store.keyring_path.read_bytes() == before


def test_errors_share_one_base() -> None:
    assert issubclass(KeyStoreError, CryptoError)

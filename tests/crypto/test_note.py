"""Signed notes (c2sp.org/signed-note): known vectors, round trips and every refusal."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto import CryptoError, KeyStore
from hanoi.crypto import note as note_module
from hanoi.crypto.note import (
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    InvalidNoteSignature,
    KeySetError,
    MalformedKey,
    MalformedNote,
    NoteError,
    NoVerifiedSignature,
    Signature,
    Signer,
    Verifier,
    key_hash,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signer_key_string,
    verifier_key_string,
)
from tests.raising import raises_check

# The worked example in the documentation of Go's golang.org/x/mod/sumdb/note (the
# reference implementation of signed notes): a signer key, its verifier key, a text and
# the note it signs to. Ed25519 is deterministic, so the bytes must match exactly.
GO_SEED = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # 0x01 || Ed25519 seed
GO_SIGNER_KEY = f"PRIVATE+KEY+PeterNeumann+c74f20a3+{GO_SEED}"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = f"{GO_TEXT}\n— PeterNeumann {GO_SIGNATURE}\n".encode()

# The example at the top of c2sp.org/signed-note. The spec publishes no key for it, so it
# can only be parsed (its key id read), never verified.
SPEC_TEXT = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
)
SPEC_SIGNATURE = (
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc="
)
SPEC_LINE = f"— quasimodo.example/salvatore {SPEC_SIGNATURE}\n"
SPEC_NOTE = (SPEC_TEXT + "\n" + SPEC_LINE).encode()

NAME = "hanoi.example/XA/ledger"


def signature_block(note: bytes) -> bytes:
    """The signature lines of ``note``."""
    return note.rsplit(b"\n\n", 1)[1]


def new_signer(name: str = NAME) -> Signer:
    return Signer.for_key(name, Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def signer() -> Signer:
    return new_signer()


@pytest.fixture(scope="module")
def other() -> Signer:
    return new_signer("hanoi.example/XB/ledger")


# --- known vectors -------------------------------------------------------------------------


def test_go_documentation_vector_signs_to_the_same_bytes() -> None:
    signer = parse_signer_key(GO_SIGNER_KEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_hash == 0xC74F20A3
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE


def test_go_documentation_vector_opens() -> None:
    verifier = parse_verifier_key(GO_VERIFIER_KEY)
    opened = open_note(GO_NOTE, [verifier])
    assert opened.text == GO_TEXT
    assert [(s.name, s.key_hash) for s in opened.verified] == [("PeterNeumann", 0xC74F20A3)]
    assert opened.unverified == ()
    assert opened.verified_by(verifier)


def test_go_documentation_keys_round_trip() -> None:
    signer = parse_signer_key(GO_SIGNER_KEY)
    verifier = parse_verifier_key(GO_VERIFIER_KEY)
    assert signer.verifier() == verifier
    assert signer_key_string(signer) == GO_SIGNER_KEY
    assert verifier_key_string(verifier) == GO_VERIFIER_KEY
    assert signer.key_string() == GO_SIGNER_KEY
    assert verifier.key_string() == GO_VERIFIER_KEY


def test_spec_example_is_parsed_but_its_unknown_key_is_not_trusted(signer: Signer) -> None:
    with pytest.raises(NoVerifiedSignature, match=r"quasimodo\.example/salvatore\+367ba04b"):
        open_note(SPEC_NOTE, [signer.verifier()])
    # Co-signed by a key we know, the note opens: the spec's line is kept, untrusted.
    cosigned = SPEC_NOTE + signature_block(sign_note(SPEC_TEXT, [signer]))
    opened = open_note(cosigned, [signer.verifier()])
    assert opened.text == SPEC_TEXT  # the blank line inside the poem belongs to the text
    assert [s.name for s in opened.verified] == [NAME]
    (spec_signature,) = opened.unverified
    assert spec_signature.name == "quasimodo.example/salvatore"
    assert spec_signature.key_hash == 0x367BA04B
    assert len(spec_signature.signature) == 64  # an Ed25519 signature
    assert spec_signature.line() == SPEC_LINE


def test_key_hash_follows_the_spec_formula() -> None:
    verifier = parse_verifier_key(GO_VERIFIER_KEY)
    encoded = bytes([0x01]) + verifier.key.public_bytes_raw()
    assert key_hash("PeterNeumann", encoded) == 0xC74F20A3
    assert key_hash("PeterNeumann2", encoded) != 0xC74F20A3


# --- round trips ---------------------------------------------------------------------------


def test_node_key_round_trip(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "node")
    store.init()
    node_signer = Signer.for_key(NAME, store.signing_key().key)
    note = sign_note("hello\n", [node_signer])
    assert note.startswith(b"hello\n\n\xe2\x80\x94 hanoi.example/XA/ledger ")
    verifier = parse_verifier_key(verifier_key_string(node_signer.verifier()))
    opened = open_note(note, [verifier])
    assert opened.text == "hello\n"
    assert opened.verified_by(verifier)


def test_several_signers_keep_their_order(signer: Signer, other: Signer) -> None:
    text = "line one\n\nline three after a blank line\n"
    note = sign_note(text, [signer, other])
    lines = note.decode().split("\n\n")[-1].splitlines()
    assert [line.split(" ")[1] for line in lines] == [signer.name, other.name]
    both = open_note(note, [other.verifier(), signer.verifier()])
    assert [s.name for s in both.verified] == [signer.name, other.name]
    assert both.text == text
    one = open_note(note, [other.verifier()])
    assert [s.name for s in one.verified] == [other.name]
    assert [s.name for s in one.unverified] == [signer.name]


def test_signer_keys_round_trip(signer: Signer) -> None:
    again = parse_signer_key(signer_key_string(signer))
    assert again.name == signer.name
    assert again.key_hash == signer.key_hash
    assert again.key.private_bytes_raw() == signer.key.private_bytes_raw()
    assert again.verifier() == signer.verifier()


def test_unicode_key_names_are_allowed() -> None:
    signer = new_signer("société.example/clé")
    verifier = parse_verifier_key(verifier_key_string(signer.verifier()))
    assert open_note(sign_note("é\n", [signer]), [verifier]).text == "é\n"


def test_text_of_only_a_newline(signer: Signer) -> None:
    assert open_note(sign_note("\n", [signer]), [signer.verifier()]).text == "\n"


def test_text_that_looks_like_a_signature_block(signer: Signer) -> None:
    text = "a\n\n— someone AAAAAAA=\n"
    opened = open_note(sign_note(text, [signer]), [signer.verifier()])
    assert opened.text == text
    assert opened.unverified == ()


def test_repeated_lines_are_recorded_once(signer: Signer, other: Signer) -> None:
    note = sign_note("x\n", [signer, other])
    block = signature_block(note)
    opened = open_note(note + block, [signer.verifier()])
    assert len(opened.verified) == 1
    assert len(opened.unverified) == 1


def test_exactly_the_maximum_number_of_signatures(signer: Signer) -> None:
    lines = [signature_block(sign_note("x\n", [new_signer(f"w{i}.example")])) for i in range(99)]
    note = sign_note("x\n", [signer]) + b"".join(lines)
    opened = open_note(note, [signer.verifier()])
    assert len(opened.unverified) == 99
    assert MAX_SIGNATURES == 100


def test_same_verifier_twice_is_not_ambiguous(signer: Signer) -> None:
    note = sign_note("x\n", [signer])
    assert open_note(note, [signer.verifier(), signer.verifier()]).text == "x\n"


def test_every_error_is_a_note_error() -> None:
    errors = [
        getattr(note_module, name)
        for name in note_module.__all__
        if isinstance(getattr(note_module, name), type)
        and issubclass(getattr(note_module, name), Exception)
    ]
    assert len(errors) >= 6  # NoteError and the five failures it names
    for error in errors:
        assert issubclass(error, NoteError)
        assert issubclass(error, CryptoError)


# --- refusals when opening -----------------------------------------------------------------


def _note(signer: Signer, text: str = "some text\n") -> bytes:
    return sign_note(text, [signer])


def test_refuses_a_note_over_the_size_bound(signer: Signer) -> None:
    note = _note(signer, "a" * (MAX_NOTE_BYTES - 200) + "\n")
    assert open_note(note, [signer.verifier()])
    with raises_check(MalformedNote, "size"):
        open_note(note + b"x" * 200, [signer.verifier()])
    with raises_check(MalformedNote, "size"):
        open_note(_note(signer), [signer.verifier()], max_bytes=50)


def test_refuses_non_utf8(signer: Signer) -> None:
    note = _note(signer).replace(b"some", b"s\xffme")
    with raises_check(MalformedNote, "utf-8"):
        open_note(note, [signer.verifier()])
    overlong = _note(signer).replace(b"some", b"\xc0\xafome")
    with raises_check(MalformedNote, "utf-8"):
        open_note(overlong, [signer.verifier()])


@pytest.mark.parametrize("control", ["\t", "\r", "\x00", "\x1b", "\x0b"])
def test_refuses_control_characters(signer: Signer, control: str) -> None:
    note = _note(signer).replace(b"some text", f"some{control}text".encode())
    with raises_check(MalformedNote, "control", match="line 1"):
        open_note(note, [signer.verifier()])


def test_crlf_line_endings_are_control_characters(signer: Signer) -> None:
    with raises_check(MalformedNote, "control"):
        open_note(_note(signer).replace(b"\n", b"\r\n"), [signer.verifier()])


def test_refuses_a_note_without_final_newline(signer: Signer) -> None:
    with raises_check(MalformedNote, "newline"):
        open_note(_note(signer)[:-1], [signer.verifier()])


@pytest.mark.parametrize(
    "note",
    [
        b"",
        b"some text\n",
        b"some text\n\n",
        b"some text\n\xe2\x80\x94 name AAAAAAA=\n",
        b"\xe2\x80\x94 name AAAAAAA=\n",
    ],
)
def test_refuses_a_note_without_blank_line_and_signatures(signer: Signer, note: bytes) -> None:
    with pytest.raises(MalformedNote) as caught:
        open_note(note, [signer.verifier()])
    assert caught.value.check in ("signature-block", "newline")


def test_a_trailing_blank_line_leaves_no_signature_block(signer: Signer) -> None:
    with raises_check(MalformedNote, "signature-block"):
        open_note(_note(signer) + b"\n", [signer.verifier()])


def _with_line(signer: Signer, line: str) -> bytes:
    return _note(signer) + line.encode() + b"\n"


@pytest.mark.parametrize(
    "line",
    [
        "- name AAAAAAA=",  # hyphen, not em dash
        "– name AAAAAAA=",  # en dash
        "—name AAAAAAA=",  # no space after the dash
        "—  name AAAAAAA=",  # two spaces: empty name ... refused as a name
        "— name",  # no signature
        "— name ",  # empty signature
        "— name AAAAAAA",  # unpadded
        "— name AAAAAAB=",  # stray bits: not canonical
        "— name AAAA AAA=",  # space inside the base64
        "— name AAAA_AA=",  # base64url alphabet
        "— name AAAAAA==",  # four bytes: a key hash without a signature
    ],
)
def test_refuses_malformed_signature_lines(signer: Signer, line: str) -> None:
    with pytest.raises((MalformedNote, MalformedKey)) as caught:
        open_note(_with_line(signer, line), [signer.verifier()])
    refusal = (type(caught.value), caught.value.check)
    assert refusal in {(MalformedNote, "signature-line"), (MalformedKey, "name")}


def test_empty_name_is_an_invalid_name(signer: Signer) -> None:
    with raises_check(MalformedKey, "name"):
        open_note(_with_line(signer, "—  AAAAAAA="), [signer.verifier()])


@pytest.mark.parametrize("name", ["a+b", "a\u00a0b", "a\u2003b", "a\u3000b", "a\u2028b"])
def test_refuses_names_with_space_or_plus(signer: Signer, name: str) -> None:
    with raises_check(MalformedKey, "name"):
        open_note(_with_line(signer, f"— {name} AAAAAAA="), [signer.verifier()])


def test_refuses_more_than_100_signatures(signer: Signer) -> None:
    extra = "".join(f"— w{i}.example AAAAAAA=\n" for i in range(MAX_SIGNATURES))
    with raises_check(MalformedNote, "signatures"):
        open_note(_note(signer) + extra.encode(), [signer.verifier()])


def test_refuses_a_tampered_text(signer: Signer) -> None:
    note = _note(signer).replace(b"some", b"same")
    with pytest.raises(InvalidNoteSignature, match=rf"{NAME}\+{signer.key_hash:08x}"):
        open_note(note, [signer.verifier()])


def test_refuses_a_tampered_signature(signer: Signer) -> None:
    note = _note(signer)
    text, line = note.decode().rsplit(" ", 1)
    raw = bytearray(base64.b64decode(line))
    raw[10] ^= 1
    tampered = f"{text} {base64.b64encode(bytes(raw)).decode()}\n".encode()
    with pytest.raises(InvalidNoteSignature):
        open_note(tampered, [signer.verifier()])


def test_refuses_a_short_signature_by_a_known_key(signer: Signer) -> None:
    stub = Signature(signer.name, signer.key_hash, b"\x00" * 10).line()
    with pytest.raises(InvalidNoteSignature):
        open_note(b"some text\n\n" + stub.encode(), [signer.verifier()])


def test_a_bad_repeat_of_a_good_signature_is_still_refused(signer: Signer) -> None:
    # Go skips a second line by the same key unread; Hanoi checks it and refuses.
    bad = Signature(signer.name, signer.key_hash, b"\x01" * 64).line()
    with pytest.raises(InvalidNoteSignature):
        open_note(_note(signer) + bad.encode(), [signer.verifier()])


def test_a_bad_signature_by_a_known_key_beside_a_good_one_is_refused(
    signer: Signer, other: Signer
) -> None:
    note = sign_note("some text\n", [signer]) + signature_block(sign_note("other\n", [other]))
    with pytest.raises(InvalidNoteSignature):
        open_note(note, [signer.verifier(), other.verifier()])
    # Without the other key its line is unknown, hence ignored.
    assert open_note(note, [signer.verifier()]).unverified[0].name == other.name


def test_refuses_a_note_signed_only_by_unknown_keys(signer: Signer, other: Signer) -> None:
    with pytest.raises(NoVerifiedSignature):
        open_note(_note(signer), [other.verifier()])
    with pytest.raises(NoVerifiedSignature):
        open_note(_note(signer), [])


def test_same_name_other_key_is_unknown_not_invalid(signer: Signer) -> None:
    impostor = new_signer(signer.name)
    assert impostor.key_hash != signer.key_hash
    with pytest.raises(NoVerifiedSignature):
        open_note(_note(impostor), [signer.verifier()])


def test_same_hash_other_name_is_unknown_not_invalid(signer: Signer) -> None:
    line = Signature("someone.else", signer.key_hash, b"\x00" * 64).line()
    with pytest.raises(NoVerifiedSignature):
        open_note(b"some text\n\n" + line.encode(), [signer.verifier()])


def test_refuses_ambiguous_verifiers(signer: Signer) -> None:
    class Twin:
        name = signer.name
        key_hash = signer.key_hash

        def verify(self, message: bytes, signature: bytes) -> bool:
            return True

    with raises_check(KeySetError, "verifiers"):
        open_note(_note(signer), [signer.verifier(), Twin()])


def test_refuses_bytes_only() -> None:
    with pytest.raises(TypeError):
        open_note(GO_NOTE.decode(), [])  # type: ignore[arg-type]


# --- refusals when signing -----------------------------------------------------------------


def test_sign_refuses_text_without_final_newline(signer: Signer) -> None:
    with raises_check(MalformedNote, "newline"):
        sign_note("no newline", [signer])
    with raises_check(MalformedNote, "newline"):
        sign_note("", [signer])


def test_sign_refuses_control_characters_and_lone_surrogates(signer: Signer) -> None:
    with raises_check(MalformedNote, "control", match="line 2"):
        sign_note("one\ntwo\tthree\n", [signer])
    with raises_check(MalformedNote, "utf-8"):
        sign_note("half \ud800 a pair\n", [signer])


def test_sign_needs_signers_each_once(signer: Signer) -> None:
    with raises_check(KeySetError, "signers"):
        sign_note("x\n", [])
    with raises_check(KeySetError, "signers"):
        sign_note("x\n", [signer, signer])


def test_sign_refuses_more_than_100_signers() -> None:
    signers = [new_signer(f"w{i}.example") for i in range(MAX_SIGNATURES + 1)]
    with raises_check(MalformedNote, "signatures"):
        sign_note("x\n", signers)


def test_sign_refuses_a_note_that_would_be_too_large(signer: Signer) -> None:
    with raises_check(MalformedNote, "size"):
        sign_note("a" * MAX_NOTE_BYTES + "\n", [signer])


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\x01b"])
def test_refuses_invalid_signer_names(name: str) -> None:
    with raises_check(MalformedKey, "name"):
        new_signer(name)


def test_a_hand_made_key_hash_must_be_right(signer: Signer) -> None:
    with raises_check(MalformedKey, "key-hash"):
        Verifier(signer.name, signer.key_hash ^ 1, signer.key.public_key())
    with raises_check(MalformedKey, "key-hash"):
        Signer(signer.name, signer.key_hash ^ 1, signer.key)


def _verifier_parts() -> tuple[str, str, bytes]:
    name, hash_hex, key64 = GO_VERIFIER_KEY.split("+", 2)
    return name, hash_hex, base64.b64decode(key64)


def test_verifier_key_hash_may_be_upper_case() -> None:
    name, hash_hex, raw = _verifier_parts()
    upper = f"{name}+{hash_hex.upper()}+{base64.b64encode(raw).decode()}"
    assert parse_verifier_key(upper) == parse_verifier_key(GO_VERIFIER_KEY)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "format"),
        ("PeterNeumann", "format"),
        ("PeterNeumann+c74f20a3", "format"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "name"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "name"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "format"),
        ("PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "format"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key-hash"),
        ("PeterNeumann2+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key-hash"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ", "format"),
        (" PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "name"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "format"),
        ("PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "format"),
        ("PeterNeumann+c74f20a3+", "format"),
        ("PeterNeumann+c74f20a3+" + "A" * 2000, "format"),
        (GO_SIGNER_KEY, "format"),  # "KEY" is no key hash
    ],
)
def test_refuses_malformed_verifier_keys(text: str, error: str) -> None:
    with raises_check(MalformedKey, error):
        parse_verifier_key(text)


def test_refuses_other_key_algorithms() -> None:
    name, hash_hex, raw = _verifier_parts()
    for alg in (0x02, 0x04, 0xFF):
        text = f"{name}+{hash_hex}+{base64.b64encode(bytes([alg]) + raw[1:]).decode()}"
        with raises_check(MalformedKey, "algorithm"):
            parse_verifier_key(text)


def test_refuses_a_wrong_length_key() -> None:
    name, _, raw = _verifier_parts()
    short = bytes([0x01]) + raw[1:-1]
    text = f"{name}+{key_hash(name, short):08x}+{base64.b64encode(short).decode()}"
    with pytest.raises(MalformedKey, match="32 bytes"):
        parse_verifier_key(text)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (GO_VERIFIER_KEY, "format"),
        ("PRIVATE+KEY+" + GO_VERIFIER_KEY, "key-hash"),  # a public key is no seed
        (f"PRIVATE+KEY+PeterNeumann+c74f20a4+{GO_SEED}", "key-hash"),
        (f"PRIVATE+KEY+Peter+c74f20a3+{GO_SEED}", "key-hash"),
        (f"private+key+PeterNeumann+c74f20a3+{GO_SEED}", "format"),
        (f"PRIVATE+KEY+PeterNeumann+c74f20a3+Ao{GO_SEED[2:]}", "algorithm"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3", "format"),
    ],
)
def test_refuses_malformed_signer_keys(text: str, error: str) -> None:
    with raises_check(MalformedKey, error):
        parse_signer_key(text)


def test_signer_repr_shows_no_key_material(signer: Signer) -> None:
    seed = base64.b64encode(signer.key.private_bytes_raw()).decode()
    assert seed not in repr(signer)
    assert "key=" not in repr(signer)

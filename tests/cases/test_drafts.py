"""Drafts are kept per authority: colleagues see them, other authorities cannot tell they exist."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts import lookup
from hanoi.accounts import service as accounts
from hanoi.accounts.models import User
from hanoi.cases.drafting_models import Draft
from hanoi.cases.drafts import (
    MAX_DOCUMENT_BYTES,
    DraftConflict,
    DraftForbidden,
    DraftNotFound,
    InvalidDraft,
    get_draft,
    list_drafts,
    record_denied,
    save_draft,
    update_draft,
)
from hanoi.cases.errors import CasesError
from hanoi.db import Database, new_id

PASSWORD = "correct horse battery"
DOCUMENT = {"requesting_state": "XA", "facts": "Ransomware against a hospital", "n": 3}


def _user(session: Session, username: str) -> User:
    user = lookup.get_user_by_username(session, username)
    assert user is not None
    return user


def _add(session: Session, username: str, role: str, authority: str) -> User:
    return accounts.add_user(
        session, username=username, password=PASSWORD, role=role, authority_code=authority
    )


def _alice_draft(db: Database) -> str:
    with db.session() as session:
        draft = save_draft(
            session, user=_user(session, "alice"), kind="mla_request", document=DOCUMENT
        )
        return draft.id


def test_saved_draft_reads_back(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        alice = _user(session, "alice")
        draft = get_draft(session, user=alice, draft_id=draft_id)
    assert draft.document == DOCUMENT
    assert draft.kind == "mla_request"
    assert draft.owner_id == alice.id
    assert draft.authority_id == alice.authority_id
    assert len(draft.id) == 26
    assert draft.created_at.tzinfo is not None
    assert draft.updated_at == draft.created_at


def test_colleague_at_the_same_authority_sees_and_edits_it(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        _add(session, "claire", "supervisor", "XA-CA")
    with seeded_db.session() as session:
        claire = _user(session, "claire")
        assert [d.id for d in list_drafts(session, user=claire)] == [draft_id]
        updated = update_draft(
            session, user=claire, draft_id=draft_id, document={**DOCUMENT, "n": 4}
        )
        assert updated.updated_at >= updated.created_at
    with seeded_db.session() as session:
        draft = get_draft(session, user=_user(session, "alice"), draft_id=draft_id)
        assert draft.document["n"] == 4


def test_other_authority_cannot_tell_the_draft_exists(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        bob = _user(session, "bob")
        with pytest.raises(DraftNotFound) as hidden:
            get_draft(session, user=bob, draft_id=draft_id)
        assert isinstance(hidden.value, CasesError)
        with pytest.raises(DraftNotFound) as missing:
            get_draft(session, user=bob, draft_id=new_id())
        assert str(hidden.value).replace(draft_id, "?") == str(missing.value).replace(
            missing.value.draft_id, "?"
        )
        with pytest.raises(DraftNotFound):
            update_draft(session, user=bob, draft_id=draft_id, document={"facts": "mine"})
        assert list_drafts(session, user=bob) == []
    with seeded_db.session() as session:
        draft = get_draft(session, user=_user(session, "alice"), draft_id=draft_id)
        assert draft.document == DOCUMENT


def test_list_shows_most_recently_changed_first(seeded_db: Database) -> None:
    first = _alice_draft(seeded_db)
    second = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        alice = _user(session, "alice")
        assert [d.id for d in list_drafts(session, user=alice)] == [second, first]
        update_draft(session, user=alice, draft_id=first, document={"facts": "newer"})
    with seeded_db.session() as session:
        assert [d.id for d in list_drafts(session, user=_user(session, "alice"))] == [
            first,
            second,
        ]


def test_every_view_and_change_is_audited(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        alice = _user(session, "alice")
        get_draft(session, user=alice, draft_id=draft_id, remote_addr="192.0.2.3")
        update_draft(session, user=alice, draft_id=draft_id, document={"facts": "edited"})
        list_drafts(session, user=alice)
    with seeded_db.session() as session:
        events = list(reversed(audit.list_events(session, actor="alice")))
        assert [e.action for e in events] == [
            "draft.create",
            "draft.view",
            "draft.update",
            "draft.list",
        ]
        assert all(e.target_id == draft_id for e in events[:3])
        assert events[0].detail_data == {"kind": "mla_request"}
        assert events[1].remote_addr == "192.0.2.3"
        assert events[3].detail_data == {"count": 1}
        assert all("Ransomware" not in (e.detail or "") for e in events)
        assert audit.verify_chain(session) == []


def test_failed_change_leaves_no_trace(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with pytest.raises(InvalidDraft), seeded_db.session() as session:
        update_draft(
            session, user=_user(session, "alice"), draft_id=draft_id, document={"x": object()}
        )
    with seeded_db.session() as session:
        assert audit.list_events(session, action="draft.update") == []


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_roles_without_case_work_cannot_touch_drafts(seeded_db: Database, role: str) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        _add(session, "olga", role, "XA-CA")
    with seeded_db.session() as session:
        olga = _user(session, "olga")
        with pytest.raises(DraftForbidden):
            save_draft(session, user=olga, kind="mla_request", document=DOCUMENT)
        with pytest.raises(DraftForbidden):
            update_draft(session, user=olga, draft_id=draft_id, document=DOCUMENT)
        with pytest.raises(DraftForbidden):
            get_draft(session, user=olga, draft_id=draft_id)
        with pytest.raises(DraftForbidden):
            list_drafts(session, user=olga)


@pytest.mark.parametrize(
    ("kind", "document"),
    [("MLA Request", DOCUMENT), ("", DOCUMENT), ("mla_request", ["not", "an", "object"])],
)
def test_malformed_drafts_are_refused(seeded_db: Database, kind: str, document: object) -> None:
    with pytest.raises(InvalidDraft), seeded_db.session() as session:
        save_draft(session, user=_user(session, "alice"), kind=kind, document=document)  # type: ignore[arg-type]


# Size limit: 1 MiB of serialised JSON.

# json.dumps({"facts": "..."}) adds 13 bytes around the text: {"facts": "<text>"}
_WRAPPER = len('{"facts": ""}')


def _draft_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Draft)) or 0)


def test_document_of_exactly_one_mib_is_kept(seeded_db: Database) -> None:
    assert MAX_DOCUMENT_BYTES == 1_048_576
    document = {"facts": "x" * (MAX_DOCUMENT_BYTES - _WRAPPER)}
    with seeded_db.session() as session:
        draft = save_draft(session, user=_user(session, "alice"), kind="mla", document=document)
    assert len(draft.document_json.encode()) == MAX_DOCUMENT_BYTES
    assert draft.document == document


def test_document_over_one_mib_is_refused_and_nothing_stored(seeded_db: Database) -> None:
    document = {"facts": "x" * (MAX_DOCUMENT_BYTES - _WRAPPER + 1)}
    with pytest.raises(InvalidDraft) as caught, seeded_db.session() as session:
        save_draft(session, user=_user(session, "alice"), kind="mla", document=document)
    assert str(caught.value) == "document is 1,048,577 bytes; the limit is 1,048,576 (1 MiB)"
    assert _draft_count(seeded_db) == 0
    with seeded_db.session() as session:
        assert audit.list_events(session, action="draft.create") == []


def test_limit_counts_utf8_bytes_not_characters(seeded_db: Database) -> None:
    # 600,000 characters, but 1,200,000 bytes once encoded.
    document = {"facts": "é" * 600_000}
    with (
        pytest.raises(InvalidDraft, match="document is 1,200,013 bytes"),
        seeded_db.session() as session,
    ):
        save_draft(session, user=_user(session, "alice"), kind="mla", document=document)


def test_oversized_update_leaves_the_draft_as_it_was(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    big = {"facts": "x" * MAX_DOCUMENT_BYTES}
    with pytest.raises(InvalidDraft, match="the limit is 1,048,576"), seeded_db.session() as s:
        update_draft(s, user=_user(s, "alice"), draft_id=draft_id, document=big)
    with seeded_db.session() as session:
        draft = session.get_one(Draft, draft_id)
        assert (draft.document, draft.version) == (DOCUMENT, 1)
        assert audit.list_events(session, action="draft.update") == []


# Versions and conflicting edits.


def test_version_starts_at_one_and_grows_per_update(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        alice = _user(session, "alice")
        assert get_draft(session, user=alice, draft_id=draft_id).version == 1
        assert update_draft(session, user=alice, draft_id=draft_id, document={"n": 1}).version == 2
        updated = update_draft(
            session, user=alice, draft_id=draft_id, document={"n": 2}, expected_version=2
        )
        assert updated.version == 3
    with seeded_db.session() as session:
        assert session.get_one(Draft, draft_id).version == 3


def test_stale_version_is_a_conflict_and_nothing_is_stored(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        _add(session, "claire", "supervisor", "XA-CA")
    # Alice and Claire both open version 1; Claire saves first.
    with seeded_db.session() as session:
        claire = _user(session, "claire")
        update_draft(session, user=claire, draft_id=draft_id, document={"by": "claire"},
                     expected_version=1)  # fmt: skip
    with pytest.raises(DraftConflict) as caught, seeded_db.session() as session:
        update_draft(session, user=_user(session, "alice"), draft_id=draft_id,
                     document={"by": "alice"}, expected_version=1)  # fmt: skip
    conflict = caught.value
    assert isinstance(conflict, CasesError)
    assert str(conflict) == "the draft was changed by someone else since you opened it"
    assert (conflict.draft_id, conflict.expected_version, conflict.version) == (draft_id, 1, 2)
    with seeded_db.session() as session:
        draft = session.get_one(Draft, draft_id)
        assert (draft.document, draft.version) == ({"by": "claire"}, 2)
        assert [e.actor for e in audit.list_events(session, action="draft.update")] == ["claire"]


def test_version_is_reread_even_when_the_session_holds_an_old_copy(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with pytest.raises(DraftConflict), seeded_db.session() as session:
        alice = _user(session, "alice")
        # A plain read (no audit, so no lock) leaves version 1 in this session's identity map.
        assert session.get_one(Draft, draft_id).version == 1
        with seeded_db.session() as other:
            update_draft(other, user=_user(other, "alice"), draft_id=draft_id, document={})
        update_draft(session, user=alice, draft_id=draft_id, document={"n": 9},
                     expected_version=1)  # fmt: skip
    with seeded_db.session() as session:
        assert session.get_one(Draft, draft_id).document == {}


def test_two_editors_of_one_version_cannot_both_win(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(n: int) -> None:
        start.wait()
        try:
            with seeded_db.session() as session:
                update_draft(session, user=_user(session, "alice"), draft_id=draft_id,
                             document={"editor": n}, expected_version=1)  # fmt: skip
            outcomes.append("saved")
        except DraftConflict:
            outcomes.append("conflict")
        except BaseException as exc:  # surfaced below; a thread cannot fail the test
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    with seeded_db.session() as session:
        assert session.get_one(Draft, draft_id).version == 2
        assert audit.verify_chain(session) == []


def test_update_without_expected_version_overwrites(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        alice = _user(session, "alice")
        update_draft(session, user=alice, draft_id=draft_id, document={"n": 1})
        assert update_draft(session, user=alice, draft_id=draft_id, document={"n": 2}).version == 3


def test_conflict_check_does_not_reveal_other_authorities_drafts(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with pytest.raises(DraftNotFound), seeded_db.session() as session:
        update_draft(session, user=_user(session, "bob"), draft_id=draft_id, document={},
                     expected_version=7)  # fmt: skip
    with seeded_db.session() as session:
        assert session.get_one(Draft, draft_id).version == 1


# Purposes of reading, and denied reads.


def test_reading_for_a_letter_is_audited_with_its_detail(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with seeded_db.session() as session:
        alice = _user(session, "alice")
        get_draft(session, user=alice, draft_id=draft_id, purpose="letter",
                  detail={"format": "pdf", "language": "fr"}, remote_addr="192.0.2.9")  # fmt: skip
        get_draft(session, user=alice, draft_id=draft_id)
    with seeded_db.session() as session:
        (letter,) = audit.list_events(session, action="draft.letter")
        assert letter.detail_data == {"format": "pdf", "language": "fr", "kind": "mla_request"}
        assert (letter.actor, letter.target_id, letter.remote_addr) == (
            "alice",
            draft_id,
            "192.0.2.9",
        )
        (view,) = audit.list_events(session, action="draft.view")
        assert view.detail_data == {"kind": "mla_request"}


def test_unknown_purpose_is_refused(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with pytest.raises(ValueError, match="purpose"), seeded_db.session() as session:
        get_draft(session, user=_user(session, "alice"), draft_id=draft_id, purpose="print")  # type: ignore[arg-type]


def test_denied_reads_are_recorded(seeded_db: Database) -> None:
    draft_id = _alice_draft(seeded_db)
    with pytest.raises(DraftNotFound), seeded_db.session() as session:
        get_draft(session, user=_user(session, "bob"), draft_id=draft_id)
    with seeded_db.session() as session:
        bob = _user(session, "bob")
        record_denied(session, user=bob, draft_id=draft_id, remote_addr="198.51.100.2")
        record_denied(session, user=bob, draft_id="z" * 500)
    with seeded_db.session() as session:
        events = audit.list_events(session, action="draft.denied")
        assert [(e.actor, e.target_type, e.target_id) for e in events] == [
            ("bob", "draft", "z" * 64),
            ("bob", "draft", draft_id),
        ]
        assert events[1].remote_addr == "198.51.100.2"
        assert audit.list_events(session, action="draft.view") == []
        assert audit.verify_chain(session) == []

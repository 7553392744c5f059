"""Drafts are kept per authority: colleagues see them, other authorities cannot tell they exist."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from hanoi import accounts, audit
from hanoi.accounts import User
from hanoi.cases.drafts import (
    DraftForbidden,
    DraftNotFound,
    InvalidDraft,
    get_draft,
    list_drafts,
    save_draft,
    update_draft,
)
from hanoi.cases.errors import CasesError
from hanoi.db import Database, new_id

PASSWORD = "correct horse battery"
DOCUMENT = {"requesting_state": "XA", "facts": "Ransomware against a hospital", "n": 3}


def _user(session: Session, username: str) -> User:
    user = accounts.get_user_by_username(session, username)
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

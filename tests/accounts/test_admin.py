"""Adding authorities and users validates at the boundary and is audited."""

from __future__ import annotations

import pytest

from hanoi import audit
from hanoi.accounts import lookup
from hanoi.accounts import service as accounts
from hanoi.accounts.models import AuthorityKind, Role
from hanoi.db import Database
from hanoi.errors import Conflict, HanoiError, InvalidInput, NotFound

PASSWORD = "correct horse battery"


def test_seeded_users_belong_to_their_authorities(seeded_db: Database) -> None:
    with seeded_db.session() as session:
        users = lookup.list_users(session)
        assert [(u.username, u.role, u.authority.code) for u in users] == [
            ("alice", Role.MLA_OFFICER, "XA-CA"),
            ("bob", Role.DUTY_OFFICER, "XA-247"),
        ]
        assert [u.username for u in lookup.list_users(session, authority_code="XA-247")] == ["bob"]
        alice = users[0]
        assert lookup.get_user(session, alice.id) == alice
        assert lookup.get_user(session, "01ARZ3NDEKTSV4RRFFQ69G5FAV") is None
        assert alice.display_name == "Alice Arcadia"
        assert alice.password_hash.startswith("$argon2id$")
        assert PASSWORD not in alice.password_hash
        assert not alice.totp_enabled and not alice.disabled
        assert alice.created_at.tzinfo is not None


def test_authorities_are_listed_and_found_by_code(seeded_db: Database) -> None:
    with seeded_db.session() as session:
        assert [a.code for a in lookup.list_authorities(session)] == ["XA-247", "XA-CA"]
        found = lookup.get_authority_by_code(session, "XA-247")
        assert found is not None
        assert found.kind is AuthorityKind.POINT_OF_CONTACT_24_7
        assert found.state == "XA"
        assert lookup.get_authority_by_code(session, "XB-CA") is None


def test_adding_users_and_authorities_is_audited(seeded_db: Database) -> None:
    with seeded_db.session() as session:
        events = audit.list_events(session, actor="system")
        assert [e.action for e in reversed(events)] == [
            "authority.add",
            "authority.add",
            "user.add",
            "user.add",
        ]
        assert events[0].detail_data == {
            "username": "bob",
            "role": "duty_officer",
            "authority": "XA-247",
        }
        assert all(PASSWORD not in (e.detail or "") for e in events)


def test_actor_is_recorded(seeded_db: Database) -> None:
    with seeded_db.session() as session:
        accounts.add_user(
            session,
            username="carol",
            password=PASSWORD,
            role="auditor",
            authority_code="XA-CA",
            actor="alice",
        )
        (event,) = audit.list_events(session, actor="alice", action="user.add")
        carol = lookup.get_user_by_username(session, "carol")
        assert carol is not None and event.target_id == carol.id
        assert carol.display_name == "carol"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"username": "Alice"}, InvalidInput, "invalid username 'Alice'"),
        ({"username": "a"}, InvalidInput, "invalid username"),
        ({"username": "x" * 65}, InvalidInput, "invalid username"),
        ({"username": "eve smith"}, InvalidInput, "invalid username"),
        ({"password": "short pass"}, InvalidInput, "at least 12 characters"),
        ({"role": "president"}, InvalidInput, "unknown role 'president'"),
        ({"authority_code": "XZ-CA"}, NotFound, "no authority with code"),
        ({"username": "alice"}, Conflict, "already exists"),
    ],
)
def test_add_user_refuses_bad_input(
    seeded_db: Database, changes: dict[str, str], error: type[Exception], message: str
) -> None:
    arguments = {
        "username": "dave",
        "password": PASSWORD,
        "role": "supervisor",
        "authority_code": "XA-CA",
    } | changes
    with pytest.raises(error, match=message) as caught, seeded_db.session() as session:
        accounts.add_user(session, **arguments)
    assert isinstance(caught.value, HanoiError)
    assert "\n" not in str(caught.value)
    assert changes.get("password", "\0") not in str(caught.value)
    with seeded_db.session() as session:
        assert lookup.get_user_by_username(session, "dave") is None


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"state": "xa"}, InvalidInput, "state must be two capital letters"),
        ({"state": "XAB"}, InvalidInput, "state must be two capital letters"),
        ({"code": "XB-MOJ"}, InvalidInput, "authority code must look like XA-CA"),
        ({"code": "XA_MOJ"}, InvalidInput, "authority code must look like XA-CA"),
        ({"name": "  "}, InvalidInput, "authority name must not be empty"),
        ({"kind": "ministry"}, InvalidInput, "unknown authority kind"),
        ({"code": "XA-CA"}, Conflict, "an authority with code 'XA-CA' already exists"),
    ],
)
def test_create_authority_refuses_bad_input(
    seeded_db: Database, changes: dict[str, str], error: type[Exception], message: str
) -> None:
    arguments = {
        "state": "XA",
        "code": "XA-MOJ",
        "name": "Ministry of Justice",
        "kind": "extradition_authority",
    } | changes
    with pytest.raises(error, match=message), seeded_db.session() as session:
        accounts.create_authority(session, **arguments)

"""Seed data for demo nodes of the fictional States XA (Arcadia), XB and XC.

The demo password is printed on start-up and the nodes listen on loopback only: they exist
to try Hanoi, never to hold real cases.
"""

from __future__ import annotations

from hanoi.accounts.lookup import get_authority_by_code, get_user_by_username
from hanoi.accounts.service import add_user, create_authority
from hanoi.db import Database
from hanoi.directory.fixture import load_fixture_directory

DEMO_STATE = "XA"
DEMO_PASSWORD = "arcadia-demo-2026"  # noqa: S105 (printed on purpose: demo only)

#: (user name, display name, role, authority code suffix): the same people at every demo node.
DEMO_USERS = (
    ("officer", "Ada Officer", "mla_officer", "CA"),
    ("duty", "Dan Duty", "duty_officer", "247"),
    ("supervisor", "Sam Supervisor", "supervisor", "CA"),
    ("auditor", "Aude Auditor", "auditor", "CA"),
)


def demo_authorities(state: str) -> tuple[tuple[str, str, str], ...]:
    """(code, name, kind) of the demo State's central authority and 24/7 point of contact,
    named as in the fictional directory fixture."""
    info = load_fixture_directory().state(state)
    if info is None:
        raise ValueError(f"{state} is not a demo State")
    return (
        (f"{state}-CA", info.central_authority, "central_authority"),
        (f"{state}-247", info.point_of_contact_24_7, "point_of_contact_24_7"),
    )


def seed_demo_node(db: Database, state: str = DEMO_STATE) -> list[tuple[str, str, str]]:
    """Create the demo authorities and users if missing; return (user name, role, authority)."""
    with db.session() as session:
        for code, name, kind in demo_authorities(state):
            if get_authority_by_code(session, code) is None:
                create_authority(session, state=state, code=code, name=name, kind=kind)
        for username, display_name, role, suffix in DEMO_USERS:
            if get_user_by_username(session, username) is None:
                add_user(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    authority_code=f"{state}-{suffix}",
                    display_name=display_name,
                )
    return [(username, role, f"{state}-{suffix}") for username, _, role, suffix in DEMO_USERS]

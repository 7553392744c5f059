"""Seed data for a demo node of the fictional State XA (Arcadia).

The demo password is printed on start-up and the node listens on loopback only: it exists to
try Hanoi, never to hold real cases.
"""

from __future__ import annotations

from hanoi.accounts import add_user, create_authority, get_authority_by_code, get_user_by_username
from hanoi.db import Database

DEMO_STATE = "XA"
DEMO_PASSWORD = "arcadia-demo-2026"  # noqa: S105 (printed on purpose: demo only)

DEMO_AUTHORITIES = (
    ("XA-CA", "Central Authority of Arcadia (Ministry of Justice)", "central_authority"),
    ("XA-247", "Arcadia 24/7 Cybercrime Point of Contact", "point_of_contact_24_7"),
)

#: (user name, display name, role, authority)
DEMO_USERS = (
    ("officer", "Ada Officer", "mla_officer", "XA-CA"),
    ("duty", "Dan Duty", "duty_officer", "XA-247"),
    ("supervisor", "Sam Supervisor", "supervisor", "XA-CA"),
    ("auditor", "Aude Auditor", "auditor", "XA-CA"),
)


def seed_demo_node(db: Database) -> list[tuple[str, str]]:
    """Create the demo authorities and users if missing; return (user name, role) pairs."""
    with db.session() as session:
        for code, name, kind in DEMO_AUTHORITIES:
            if get_authority_by_code(session, code) is None:
                create_authority(session, state=DEMO_STATE, code=code, name=name, kind=kind)
        for username, display_name, role, authority in DEMO_USERS:
            if get_user_by_username(session, username) is None:
                add_user(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    authority_code=authority,
                    display_name=display_name,
                )
    return [(username, role) for username, _, role, _ in DEMO_USERS]

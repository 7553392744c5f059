"""`hanoi user token create|list|revoke`: API tokens, for a State's case-management system.

A token acts as its user through the JSON API, within its scopes (read, write); its secret
is printed once, when it is made, and only its hash is kept (accounts/tokens.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import typer
from sqlalchemy.orm import Session

from hanoi.accounts.lookup import get_user_by_username
from hanoi.accounts.models import User
from hanoi.accounts.tokens import create_token, list_tokens, revoke_token
from hanoi.cli.context import AsJson, NodeHome, open_database
from hanoi.cli.errors import fail, guarded
from hanoi.cli.output import console, print_json
from hanoi.config import load_settings

app = typer.Typer()
tokens = typer.Typer(no_args_is_help=True)
app.add_typer(tokens, name="token", help="API tokens for the JSON API: create, list, revoke.")

NAME_HELP = "The user the token acts as."


def _user(session: Session, name: str) -> User:
    user = get_user_by_username(session, name)
    if user is None:
        fail(f"no user named {name!r} at this node")
    return user


@tokens.command("create")
@guarded
def create(
    name: str = typer.Argument(..., help=NAME_HELP),
    label: str = typer.Option("api", "--label", help="What the token is for, e.g. 'CMS'."),
    scope: list[str] = typer.Option(
        [], "--scope", help="read (default) or write; repeat for both."
    ),
    expires: int | None = typer.Option(
        None, "--expires", help="Days until it stops working (at most 730; default: never)."
    ),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """Make an API token for a user; its secret is printed once."""
    lifetime = timedelta(days=expires) if expires is not None else None
    with open_database(load_settings(home)) as db, db.session() as session:
        row, secret = create_token(
            session,
            user=_user(session, name),
            name=label,
            scopes=scope,
            lifetime=lifetime,
            actor="cli",
        )
        info: dict[str, Any] = {
            "prefix": row.prefix,
            "user": name,
            "label": row.name,
            "scopes": row.scopes.split(),
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        }
    if as_json:
        print_json({"token": secret, **info})
        return
    print(secret)
    console.print(
        f"Token {info['prefix']}… for {name} ({' '.join(info['scopes'])}); shown once, "
        "kept only as its hash. Send it as: Authorization: Bearer <token>"
    )


@tokens.command("list")
@guarded
def list_(
    name: str = typer.Argument(..., help=NAME_HELP),
    as_json: AsJson = False,
    home: NodeHome = None,
) -> None:
    """A user's API tokens, newest first, with their state."""
    with open_database(load_settings(home)) as db, db.session() as session:
        rows: list[dict[str, Any]] = [
            {
                "prefix": t.prefix,
                "label": t.name,
                "scopes": t.scopes.split(),
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t in list_tokens(session, user=_user(session, name))
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"{name} has no API token.")
    for r in rows:
        state = "revoked" if r["revoked_at"] else f"expires {r['expires_at'] or 'never'}"
        used = r["last_used_at"] or "never"
        console.print(
            f"{r['prefix']}…  {r['label']:<16} {' '.join(r['scopes']):<10} {state}; used {used}"
        )


@tokens.command("revoke")
@guarded
def revoke(
    name: str = typer.Argument(..., help=NAME_HELP),
    prefix: str = typer.Argument(..., help="The token's prefix, as 'list' shows it."),
    home: NodeHome = None,
) -> None:
    """Revoke one of a user's API tokens at once."""
    with open_database(load_settings(home)) as db, db.session() as session:
        revoke_token(session, user=_user(session, name), prefix=prefix.rstrip("…"), actor="cli")
    console.print(f"Token {prefix.rstrip('…')} of {name} revoked.")

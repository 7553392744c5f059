"""`hanoi user add|enable-totp|language`: the people who sign in to this node."""

from __future__ import annotations

import sys

import typer

from hanoi.accounts.service import add_user, enable_totp, set_language
from hanoi.cli.context import NodeHome, open_database
from hanoi.cli.errors import guarded
from hanoi.cli.output import console
from hanoi.config import load_settings

app = typer.Typer()


@app.command("add")
@guarded
def user_add(
    name: str = typer.Argument(..., help="User name (lower-case letters, digits, . _ -)."),
    role: str = typer.Option(
        ..., "--role", help="mla_officer, duty_officer, supervisor, auditor or admin."
    ),
    authority: str = typer.Option(..., "--authority", help="Authority code, e.g. XA-CA."),
    display_name: str | None = typer.Option(None, "--display-name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    home: NodeHome = None,
) -> None:
    """Add a user to an authority with one role."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_database(load_settings(home)) as db, db.session() as session:
        add_user(
            session,
            username=name,
            password=password,
            role=role,
            authority_code=authority,
            display_name=display_name,
        )
    console.print(f"User {name} added to {authority} as {role}.")


@app.command("enable-totp")
@guarded
def user_enable_totp(
    name: str = typer.Argument(..., help="User name."),
    home: NodeHome = None,
) -> None:
    """Require a TOTP code (authenticator app) at this user's sign-in from now on."""
    with open_database(load_settings(home)) as db, db.session() as session:
        secret, uri = enable_totp(session, name, actor="cli")
    console.print(f"Second factor enabled for {name}. Add it to an authenticator app:")
    console.print(f"  secret: {secret}")
    console.print(f"  URI:    {uri}", soft_wrap=True)
    console.print("This secret is shown once; it is not kept in any log.")


@app.command("language")
@guarded
def user_language(
    name: str = typer.Argument(..., help="User name."),
    language: str = typer.Argument(
        ..., help="ar, zh, en, fr, ru or es; or 'browser' to follow the browser's language."
    ),
    home: NodeHome = None,
) -> None:
    """Set the language of this user's pages (the switcher on every page does the same)."""
    chosen = None if language == "browser" else language
    with open_database(load_settings(home)) as db, db.session() as session:
        set_language(session, name, chosen, actor="cli")
    if chosen is None:
        console.print(f"{name}'s pages follow the browser's language (else the node's default).")
    else:
        console.print(f"{name}'s pages are in {chosen}.")

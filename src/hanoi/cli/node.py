"""`hanoi db ...`, `hanoi authority ...`, `hanoi user ...` and `hanoi up`: run a node."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from hanoi.cli.errors import CliUsageError, guarded
from hanoi.cli.output import console
from hanoi.config import Settings, load_settings

HOME_OPTION = typer.Option(
    None, "--home", help="Node folder (default $HANOI_HOME or ./hanoi-data)."
)

db_app = typer.Typer(help="The node's database.", no_args_is_help=True)
authority_app = typer.Typer(help="Authorities hosted by this node.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in to this node.", no_args_is_help=True)


def _database(home: Path | None):  # type: ignore[no-untyped-def]
    from hanoi.db import Database, upgrade

    settings = load_settings(home)
    upgrade(settings.database_url)
    return Database(settings.database_url)


@db_app.command("upgrade")
@guarded
def db_upgrade(home: Path | None = HOME_OPTION) -> None:
    """Create or migrate the database to the current schema (SQLite or PostgreSQL)."""
    from hanoi.db import current_revision, upgrade

    settings = load_settings(home)
    upgrade(settings.database_url)
    console.print(f"Database at revision {current_revision(settings.database_url)}.")


@authority_app.command("add")
@guarded
def authority_add(
    code: str = typer.Argument(..., help="Short code, e.g. XA-CA."),
    state: str = typer.Option(..., "--state", help="ISO 3166 code of the State."),
    name: str = typer.Option(..., "--name", help="Full name of the authority."),
    kind: str = typer.Option(
        "central_authority",
        "--kind",
        help="central_authority, point_of_contact_24_7, extradition_authority or "
        "competent_authority.",
    ),
    home: Path | None = HOME_OPTION,
) -> None:
    """Register an authority of this node's State."""
    from hanoi.accounts import create_authority

    db = _database(home)
    with db.session() as session:
        create_authority(session, state=state, code=code, name=name, kind=kind)
    console.print(f"Authority {code} added.")


@user_app.command("add")
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
    home: Path | None = HOME_OPTION,
) -> None:
    """Add a user to an authority with one role."""
    from hanoi.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = _database(home)
    with db.session() as session:
        add_user(
            session,
            username=name,
            password=password,
            role=role,
            authority_code=authority,
            display_name=display_name,
        )
    console.print(f"User {name} added to {authority} as {role}.")


@user_app.command("enable-totp")
@guarded
def user_enable_totp(
    name: str = typer.Argument(..., help="User name."),
    home: Path | None = HOME_OPTION,
) -> None:
    """Require a TOTP code (authenticator app) at this user's sign-in from now on."""
    from hanoi.accounts import enable_totp

    db = _database(home)
    with db.session() as session:
        secret, uri = enable_totp(session, name, actor="cli")
    console.print(f"Second factor enabled for {name}. Add it to an authenticator app:")
    console.print(f"  secret: {secret}")
    console.print(f"  URI:    {uri}", soft_wrap=True)
    console.print("This secret is shown once; it is not kept in any log.")


def _is_loopback(host: str) -> bool:
    return host in {"127.0.0.1", "::1", "localhost"}


@guarded
def up(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8400, "--port", help="Port to listen on."),
    demo: bool = typer.Option(False, "--demo", help="Seed the demo State XA and its users."),
    public_url: str | None = typer.Option(
        None,
        "--public-url",
        envvar="HANOI_PUBLIC_URL",
        help="The address users reach, e.g. https://hanoi.example.org behind a TLS proxy; "
        "https makes cookies Secure and turns on HSTS.",
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help="Proxies whose X-Forwarded-For to trust (comma-separated). Default: none.",
    ),
    home: Path | None = HOME_OPTION,
) -> None:
    """Start this node: web pages, HTTP API, migrations applied first."""
    import uvicorn

    from hanoi.db import Database, upgrade
    from hanoi.runtime import node_runtime

    if demo and not _is_loopback(host):
        raise CliUsageError("--demo seeds a published password: it only listens on loopback")
    settings: Settings = load_settings(home)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    if demo:
        from hanoi.demo import DEMO_PASSWORD, seed_demo_node

        users = seed_demo_node(db)
        console.print("Demo State XA (Arcadia). Sign in as any of:")
        for username, role, _authority in users:
            console.print(f"  {username:<10} ({role})  password: {DEMO_PASSWORD}")
    https = (public_url or "").startswith("https://")
    if not _is_loopback(host) and not https:
        console.print("Listening beyond loopback: serve it behind HTTPS (cookies are Secure).")
    runtime = node_runtime(settings, db, secure_cookies=https or not _is_loopback(host))
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    console.print(f"Hanoi node for {settings.home} at {url}  (Ctrl-C to stop)")
    if runtime.node is not None:
        console.print(f"Exchanging with other nodes as {runtime.node.state}.")
    runtime.start()
    try:
        uvicorn.run(
            runtime.app,
            host=host,
            port=port,
            log_level="warning",
            # Client addresses feed throttling and the audit log: never take them from a
            # header unless the operator names the proxy that sets it.
            proxy_headers=forwarded_allow_ips is not None,
            forwarded_allow_ips=forwarded_allow_ips or "",
        )
    except SystemExit as exc:  # uvicorn exits when the port is taken
        raise CliUsageError(f"could not listen on {host}:{port}") from exc
    finally:
        runtime.stop()

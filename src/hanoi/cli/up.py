"""`hanoi up`: start this node (web pages, HTTP API, exchange worker) in the foreground."""

from __future__ import annotations

import typer

from hanoi.cli.context import NodeHome, open_database
from hanoi.cli.errors import CliUsageError, guarded
from hanoi.cli.output import console
from hanoi.config import load_settings

app = typer.Typer()


def _is_loopback(host: str) -> bool:
    return host in {"127.0.0.1", "::1", "localhost"}


@app.command("up")
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
        help="Reverse proxies whose X-Forwarded-For to trust (comma-separated addresses or "
        "networks). Default: $HANOI_FORWARDED_ALLOW_IPS, else none.",
    ),
    home: NodeHome = None,
) -> None:
    """Start this node: web pages, HTTP API, migrations applied first."""
    # The web application, its server and the worker: loaded once the options are checked,
    # so that `hanoi up --help` or a mistyped option answers at once.
    import contextlib
    import dataclasses

    import uvicorn

    from hanoi.config import forwarded_allow_ips as parse_proxies
    from hanoi.demo import DEMO_PASSWORD, seed_demo_node
    from hanoi.runtime import node_runtime
    from hanoi.web.server import server_config

    if demo and not _is_loopback(host):
        raise CliUsageError("--demo seeds a published password: it only listens on loopback")
    settings = load_settings(home)
    if forwarded_allow_ips is not None:
        settings = dataclasses.replace(
            settings,
            forwarded_allow_ips=parse_proxies(forwarded_allow_ips, "--forwarded-allow-ips"),
        )
    with open_database(settings) as db:
        if demo:
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
            # Timeouts, connection cap and trusted proxies: web/server.py.
            server = uvicorn.Server(server_config(runtime.app, settings, host=host, port=port))
            with contextlib.suppress(KeyboardInterrupt):
                server.run()
        except SystemExit as exc:  # uvicorn exits when the port is taken
            raise CliUsageError(f"could not listen on {host}:{port}") from exc
        finally:
            runtime.stop()
        if not server.started:
            raise CliUsageError(f"could not listen on {host}:{port}")

"""`hanoi demo`: the demo federation (Secretariat + XA, XB, XC) on loopback, and its scenario."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import typer

from hanoi.cli.context import AsJson
from hanoi.cli.errors import EXIT_INVALID, CliUsageError, guarded
from hanoi.cli.output import console, print_json

app = typer.Typer()


@app.command("demo")
@guarded
def demo(
    home: Path = typer.Option(
        Path("demo-federation"), "--home", help="Folder for every node and artefact."
    ),
    port_base: int = typer.Option(
        8400, "--port-base", help="Secretariat on this port, XA, XB, XC on the next three."
    ),
    scenario_only: bool = typer.Option(
        False, "--scenario-only", help="Run the scenario and exit (non-zero if a step fails)."
    ),
    as_json: AsJson = False,
) -> None:
    """Start the demo federation on loopback, run the scenario, and keep serving."""
    # Four nodes' web applications and their server: loaded once the options are checked,
    # so that `hanoi demo --help` or a mistyped option answers at once.
    from hanoi.demo.federation import DemoFederation, build, check_ports, refresh_directories
    from hanoi.demo.scenario import run_scenario
    from hanoi.demo.seed import DEMO_PASSWORD, DEMO_USERS
    from hanoi.demo.serving import serve_federation, stop_all

    if not 1024 <= port_base <= 65531:
        raise CliUsageError("--port-base must leave room for four ports between 1024 and 65535")
    federation = DemoFederation(home.resolve(), port_base)
    check_ports(federation)
    if not as_json:
        console.print(f"Building the demo federation in {federation.home} ...")
    build(federation)
    served = serve_federation(federation)
    try:
        refresh_directories(federation)
        by_state = {item.node.code: item for item in served if item.node.code != "UN"}
        if not as_json:
            console.print("Running the scenario ...")
        result = run_scenario(federation, by_state)
        summary: dict[str, Any] = {
            "home": str(federation.home),
            "directory": federation.directory_url,
            "nodes": [
                {
                    "state": node.code,
                    "name": node.name,
                    "url": node.url,
                    "home": str(node.home),
                    "users": [
                        {"username": name, "role": role, "authority": f"{node.code}-{suffix}"}
                        for name, _, role, suffix in DEMO_USERS
                    ],
                }
                for node in federation.nodes.values()
            ],
            "password": DEMO_PASSWORD,
            "scenario": {"ok": result.ok, "steps": [step.to_json() for step in result.steps]},
        }
        if as_json:
            print_json(summary)
        else:
            _print_summary(summary)
        if scenario_only:
            if not result.ok:
                raise typer.Exit(EXIT_INVALID)
            return
        if not as_json:
            console.print("Serving until Ctrl-C.")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    finally:
        stop_all(served)


def _print_summary(summary: dict[str, Any]) -> None:
    console.print(f"Directory (Secretariat): {summary['directory']}")
    for node in summary["nodes"]:
        console.print(f"{node['state']} {node['name']}: {node['url']}   ({node['home']})")
    users = ", ".join(f"{u['username']} ({u['role']})" for u in summary["nodes"][0]["users"])
    console.print(f"Sign in at any node as {users}; password: {summary['password']}")
    console.print("Scenario:")
    for step in summary["scenario"]["steps"]:
        mark = "ok  " if step["ok"] else "FAIL"
        console.print(
            f"  {mark} {step['step']}. {step['title']}  {step['reference']}  [{step['detail']}]"
        )
    console.print("Scenario passed." if summary["scenario"]["ok"] else "Scenario FAILED.")

"""The `hanoi` command: the one table of its commands, each imported only when it runs.

Each entry names a command, its one-line help and the module defining it
(:mod:`hanoi.cli.lazy`). `hanoi --help` lists the table without importing any command
module; `hanoi request ...` imports :mod:`hanoi.cli.request` and no other command module.
So a command module imports at its top what its commands need, and no command pays for
another's imports.
"""

from __future__ import annotations

from typer.core import TyperGroup

from hanoi.cli.lazy import Entry, LazyCommand

#: Every `hanoi` command, in the order `hanoi --help` lists them.
COMMANDS = (
    Entry("up", "Start this node: web pages, HTTP API, migrations applied first.", "up", "command"),
    Entry(
        "demo",
        "Start the demo federation on loopback, run the scenario, and keep serving.",
        "demo",
        "command",
    ),
    Entry("convention", "The Convention as data: articles, instruments, offences.", "convention"),
    Entry("request", "Draft, check and render cooperation requests.", "request"),
    Entry(
        "directory",
        "The signed directory of States: Secretariat repository, State entries, node copy.",
        "directory",
    ),
    Entry("exchange", "Messages to other States' nodes: the outbox.", "exchange"),
    Entry("evidence", "Electronic evidence: seal, deliver, verify, open.", "evidence"),
    Entry("db", "The node's database.", "db"),
    Entry("authority", "Authorities hosted by this node.", "authority"),
    Entry("user", "People who sign in to this node.", "user"),
    Entry("node", "This node's identity and keys.", "node"),
    Entry("ledger", "The transparency log: verify a log, prove and check entries.", "ledger"),
)

app = TyperGroup(
    name="hanoi",
    commands=[LazyCommand(entry) for entry in COMMANDS],
    help="Hanoi: cooperation requests under the UN Convention against Cybercrime.",
    no_args_is_help=True,
)

"""The `hanoi` command: the one table of its groups and commands.

Each command is listed with its one-line help and the module defining it
(:mod:`hanoi.cli.lazy`): `hanoi --help` and `hanoi GROUP --help` are answered from this
table alone, and a command imports its own module and no other command module.
"""

from __future__ import annotations

from typer.core import TyperGroup

from hanoi.cli.lazy import Entry, Group, command, entries

#: Every group and command of `hanoi`, in the order the help lists them.
COMMANDS: tuple[Entry | Group, ...] = (
    Entry("up", "Start this node: web pages, HTTP API, migrations applied first.", "up"),
    Entry(
        "demo", "Start the demo federation on loopback, run the scenario, and keep serving.", "demo"
    ),
    Group(
        "convention",
        "The Convention as data: articles, instruments, offences.",
        entries(
            "convention",
            ("articles", "List the 68 articles with chapter and confidence."),
            (
                "instruments",
                "List the request kinds with every element, its article and its confidence.",
            ),
            ("offences", "List the offence codes (Arts. 4, 7-17 and serious crime)."),
        ),
    ),
    Group(
        "treaty",
        "The Convention's depositary record: signatures, instruments, entry into force.",
        entries(
            "treaty",
            (
                "record",
                "Add a row to the depositary record: what a State did, when, and who says so.",
            ),
            ("show", "Show the depositary record: every State's actions with their sources."),
            (
                "status",
                "Signatories, instruments toward the 40, entry into force and Parties on a day.",
            ),
            ("publish", "Publish the depositary record in the Secretariat's signed directory."),
        ),
    ),
    Group(
        "request",
        "Draft, check and render cooperation requests.",
        entries(
            "request_documents",
            ("new", "Write a blank request of KIND, ready to fill in and check."),
            (
                "check",
                "Check a request against its article: exit 0 complete, 1 problems found, "
                "2 unusable.",
            ),
            ("render", "Render the formal request letter, citing the articles, as HTML or PDF."),
        )
        + entries(
            "request_exchange",
            ("send", "Check, sign, encrypt and send a request to the requested State's node."),
            ("condition", "Attach a condition on use to a request, or authorise onward transfer."),
        )
        + entries(
            "request_view",
            ("list", "The requests of your authority, newest first."),
            (
                "show",
                "One request: its status, deadlines, what you may do now, and its whole timeline.",
            ),
        )
        + entries(
            "request_exchange",
            (
                "act",
                "Act on a request (acknowledge it, preserve the data, refuse it, ...) and tell "
                "the other State's node.",
            ),
        )
        + entries(
            "request_view",
            (
                "deadlines",
                "Open deadlines of your authority's requests, overdue first, then by due time.",
            ),
        )
        + entries(
            "request_approval",
            (
                "approvals",
                "The requests of your authority that wait for a supervisor's approval, oldest "
                "first.",
            ),
            (
                "approve",
                "Approve a request awaiting approval: it is sent to the requested State at once.",
            ),
            (
                "return",
                "Return a request awaiting approval to its drafters, saying what to change.",
            ),
            (
                "discard",
                "Discard a request awaiting approval or returned: it never leaves the State.",
            ),
        ),
    ),
    Group(
        "directory",
        "The signed directory of States: Secretariat repository, State entries, node copy.",
        entries(
            "directory",
            (
                "init",
                "Create the Secretariat's repository: keys, root, targets, snapshot, timestamp.",
            ),
            (
                "add-state",
                "Delegate states/CODE/* to the State's keys (again with new keys to rotate them).",
            ),
            ("publish", "Check what the States signed and publish a new snapshot and timestamp."),
            (
                "rotate-root",
                "Replace the root keys; the new root is signed by old and new keys alike.",
            ),
            (
                "draft-entry",
                "Fill a template's node address and public keys from this node, ready to sign.",
            ),
            (
                "sign-entry",
                "Sign this State's entry with its node key, ready to hand to the Secretariat.",
            ),
            (
                "trust",
                "Pin the directory's root on this node (once; later roots must chain to it).",
            ),
            (
                "refresh",
                "Fetch and verify the directory; keep the last good copy if anything fails.",
            ),
            (
                "show",
                "Show the States in this node's verified copy of the directory (works offline).",
            ),
        ),
    ),
    Group(
        "exchange",
        "Messages to other States' nodes: the outbox.",
        entries(
            "exchange",
            (
                "outbox",
                "The newest messages this node sent or is sending, with their delivery state.",
            ),
            (
                "retry",
                "Queue a quarantined message again, once what made the other node refuse it is "
                "fixed.",
            ),
        )
        + entries(
            "exchange_receipts",
            ("receipt", "Write a delivered message's signed receipt with its offline proof."),
            ("verify-receipt", "Check a receipt folder and its proof offline."),
        ),
    ),
    Group(
        "evidence",
        "Electronic evidence: seal, deliver, verify, open.",
        entries(
            "evidence",
            ("seal", "Seal files into a signed package only the recipient State's node can open."),
            ("deliver", "Offer a sealed package to the State that made the request."),
            (
                "list",
                "The evidence packages sent or received for a request: state, progress, files.",
            ),
            (
                "verify",
                "Check a package without opening it: signature, manifest, every ciphertext hash.",
            ),
            (
                "open",
                "Verify, then decrypt every file with this node's identity, re-checking each hash.",
            ),
            (
                "fsck",
                "Re-hash every blob of the node's store; exit 1 if any is damaged or misplaced.",
            ),
        ),
    ),
    Group(
        "db",
        "The node's database.",
        entries(
            "db",
            (
                "upgrade",
                "Create or migrate the database to the current schema (SQLite or PostgreSQL).",
            ),
        ),
    ),
    Group(
        "audit",
        "The node's audit trail.",
        entries(
            "audit",
            ("verify", "Verify the audit trail's hash chain; exit 1 naming the events that fail."),
        ),
    ),
    Group(
        "authority",
        "Authorities hosted by this node.",
        entries("authority", ("add", "Register an authority of this node's State.")),
    ),
    Group(
        "user",
        "People who sign in to this node.",
        entries(
            "user",
            ("add", "Add a user to an authority with one role."),
            (
                "enable-totp",
                "Require a TOTP code (authenticator app) at this user's sign-in from now on.",
            ),
            (
                "language",
                "Set the language of this user's pages (the switcher on every page does the same).",
            ),
        )
        + entries("user_tokens", ("token", "API tokens for the JSON API: create, list, revoke.")),
    ),
    Group(
        "node",
        "This node's identity and keys.",
        entries(
            "node",
            (
                "init",
                "Create this node's keys and node.json; refuses if the node already has an "
                "identity.",
            ),
            ("show", "Public information about this node: State, address, key ids and statuses."),
            (
                "rotate-key",
                "Make a new key of KIND; the old one stays valid for verifying during the grace "
                "days.",
            ),
            ("revoke-key", "Revoke a key at once: nothing made from now on verifies with it."),
            ("log-key-changes", "Log the keyring's changes that the ledger and audit trail lack."),
        ),
    ),
    Group(
        "ledger",
        "The transparency log: verify a log, prove and check entries.",
        entries("ledger", ("verify", "Check a whole tlog-tiles log against its signed checkpoint."))
        + entries(
            "ledger_prove",
            ("prove", "Write the offline proof (C2SP tlog-proof) that an entry is in this log."),
        )
        + entries("ledger", ("verify-proof", "Check an offline proof that an entry is in a log."))
        + entries(
            "ledger_fsck", ("fsck", "Re-check the node's whole log and its signed checkpoints.")
        ),
    ),
)

app = TyperGroup(
    name="hanoi",
    commands=[command(item) for item in COMMANDS],
    help="Hanoi: cooperation requests under the UN Convention against Cybercrime.",
    no_args_is_help=True,
)

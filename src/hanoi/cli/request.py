"""`hanoi request ...`: request documents, and the requests exchanged with other States.

The group is this table: `new`, `check` and `render` work on a document file
(:mod:`hanoi.cli.request_documents`); the others work on the node's requests, in its
database and case store (:mod:`hanoi.cli.request_exchange`). Each command imports its own
module only, so checking a document does not load the node, nor a node command the letter
renderer.
"""

from __future__ import annotations

import typer

from hanoi.cli.lazy import Entry

app = typer.Typer(no_args_is_help=True)

#: Each line is the first paragraph of the command's docstring.
LAZY_COMMANDS = (
    Entry(
        "new",
        "Write a blank request of KIND, ready to fill in and check.",
        "request_documents",
        "one_of",
    ),
    Entry(
        "check",
        "Check a request against its article: exit 0 complete, 1 problems found, 2 unusable.",
        "request_documents",
        "one_of",
    ),
    Entry(
        "render",
        "Render the formal request letter, citing the articles, as HTML or PDF.",
        "request_documents",
        "one_of",
    ),
    Entry(
        "send",
        "Check, sign, encrypt and send a request to the requested State's node.",
        "request_exchange",
        "one_of",
    ),
    Entry(
        "condition",
        "Attach a condition on use to a request, or authorise onward transfer.",
        "request_exchange",
        "one_of",
    ),
    Entry("list", "The requests of your authority, newest first.", "request_exchange", "one_of"),
    Entry(
        "show",
        "One request: its status, deadlines, what you may do now, and its whole timeline.",
        "request_exchange",
        "one_of",
    ),
    Entry(
        "act",
        "Act on a request (acknowledge it, preserve the data, refuse it, ...) and tell the "
        "other State's node.",
        "request_exchange",
        "one_of",
    ),
    Entry(
        "deadlines",
        "Open deadlines of your authority's requests, overdue first, then by due time.",
        "request_exchange",
        "one_of",
    ),
)

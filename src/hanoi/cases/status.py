"""A request's status, and the side a node is on: the words every part of a case uses.

Apart from :mod:`hanoi.cases.lifecycle`, which says what may happen next by the Convention's
data, so that what only stores or records a request (the timeline, sealing evidence for it)
does not load the Convention. :mod:`hanoi.cases.lifecycle` exports both as its own.
"""

from __future__ import annotations

from enum import StrEnum

from hanoi.i18n.marker import N_


class Status(StrEnum):
    DRAFT = "draft"
    # Four eyes (cases/approval.py): a supervisor approves before the request leaves.
    AWAITING_APPROVAL = "awaiting_approval"
    RETURNED = "returned"
    DISCARDED = "discarded"
    SENT = "sent"
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_EXECUTION = "in_execution"
    EXECUTED = "executed"
    PARTIALLY_EXECUTED = "partially_executed"
    REFUSED = "refused"
    POSTPONED = "postponed"
    WITHDRAWN = "withdrawn"
    PRESERVED = "preserved"
    LAPSED = "lapsed"
    RELEASED = "released"


class Side(StrEnum):
    REQUESTING = "requesting"
    REQUESTED = "requested"


#: Each status as the pages name it, marked for the pages' catalogue (translated where shown).
STATUS_NAMES: dict[Status, str] = {
    Status.DRAFT: N_("draft"),
    Status.AWAITING_APPROVAL: N_("awaiting approval"),
    Status.RETURNED: N_("returned"),
    Status.DISCARDED: N_("discarded"),
    Status.SENT: N_("sent"),
    Status.RECEIVED: N_("received"),
    Status.ACKNOWLEDGED: N_("acknowledged"),
    Status.IN_EXECUTION: N_("in execution"),
    Status.EXECUTED: N_("executed"),
    Status.PARTIALLY_EXECUTED: N_("partially executed"),
    Status.REFUSED: N_("refused"),
    Status.POSTPONED: N_("postponed"),
    Status.WITHDRAWN: N_("withdrawn"),
    Status.PRESERVED: N_("preserved"),
    Status.LAPSED: N_("lapsed"),
    Status.RELEASED: N_("released"),
}


def status_name(status: str) -> str:
    """``status`` as the pages name it (its message id); an unknown one as it is."""
    try:
        return STATUS_NAMES[Status(status)]
    except ValueError:
        return status.replace("_", " ")

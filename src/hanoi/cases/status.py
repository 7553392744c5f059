"""A request's status, and the side a node is on: the words every part of a case uses.

Apart from :mod:`hanoi.cases.lifecycle`, which says what may happen next by the Convention's
data, so that what only stores or records a request (the timeline, sealing evidence for it)
does not load the Convention. :mod:`hanoi.cases.lifecycle` exports both as its own.
"""

from __future__ import annotations

from enum import StrEnum


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

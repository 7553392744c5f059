"""A request's timeline in an officer's words: one plain sentence per item.

"Delivered to Borealis (XB-CA) at 14:44 UTC; receipt signed", not "message sent · attempts 0
· type request.submit". The technical detail (message ids, types, attempts) stays with the
item for whoever opens it. Pure: the same item and State names give the same sentence, in
the pages and anywhere else that shows a timeline.
"""

from __future__ import annotations

from collections.abc import Mapping

from hanoi.cases.queries import TimelineItem

#: What each message type carries, as an officer would say it.
MESSAGE_WORDS = {
    "request.submit": "the request",
    "request.action": "a step taken on the request",
    "request.condition": "a condition on use",
    "evidence.offer": "an offer of evidence",
    "evidence.receipt": "the signed receipt for evidence",
}

#: Timeline events (life-cycle actions and evidence steps) as sentences.
EVENT_WORDS = {
    "submit": "Submitted for a supervisor's approval",
    "approve": "Approved by a supervisor",
    "return": "Returned for changes",
    "discard": "Discarded before it was sent",
    "send": "Sent",
    "receive": "Received",
    "acknowledge": "Receipt acknowledged",
    "start": "Execution started",
    "execute": "Executed",
    "execute-partially": "Partly executed",
    "refuse": "Refused",
    "postpone": "Postponed",
    "preserve": "Data preserved",
    "extend": "Preservation extended",
    "release": "Preserved data released",
    "withdraw": "Withdrawn",
    "inquire": "Question asked",
    "reply": "Question answered",
    "consult": "Consultation before refusing",
    "lapse": "Preservation lapsed",
    "follow-up": "Follow-up request sent",
    "condition": "Condition on use attached",
    "reminder": "Deadline reminder",
    "overdue": "Deadline passed",
    "evidence-sealed": "Evidence sealed",
    "evidence-offered": "Evidence offered",
    "evidence-uploaded": "Evidence uploaded",
    "evidence-received": "Evidence received and verified",
    "evidence-delivered": "Evidence delivered; the receiver signed its receipt",
    "evidence-opened": "Evidence opened",
    "evidence-file-opened": "Evidence file opened and downloaded",
    "evidence-expired": "Evidence upload given up",
    "evidence-failed": "Evidence upload failed",
    "evidence-rejected": "Evidence did not verify and was refused",
}


def describe(item: TimelineItem, state_names: Mapping[str, str]) -> str:
    """One sentence for ``item``; ``state_names`` maps State codes to names (``XB`` →
    ``Borealis``) to say where a message went or came from."""
    detail = item.detail
    if item.what == "message sent":
        return _sent(detail, state_names)
    if item.what == "message received":
        what = MESSAGE_WORDS.get(detail.get("type", ""), "a message")
        return f"Received {what} from {_party(detail.get('from', ''), state_names)}"
    if item.what == "receipt":
        return f"{_party(item.actor, state_names)} signed the receipt"
    sentence = EVENT_WORDS.get(item.what, item.what.replace("-", " ").capitalize())
    if item.what == "condition" and detail.get("kind"):
        to = f" to {detail['to']}" if detail.get("to") else ""
        sentence = f"{sentence} ({detail['kind'].replace('-', ' ')}{to})"
        return f"{sentence}: {detail['text']}" if detail.get("text") else sentence
    if item.what == "evidence-file-opened" and detail.get("name"):
        return f"{sentence}: {detail['name']}"
    if item.what in ("reminder", "overdue") and detail.get("label"):
        return f"{sentence}: {detail['label']} by {detail.get('due', '')[:16]} UTC"
    if detail.get("ground_text"):
        sentence = f"{sentence} ({detail['ground_text']})"
    reason = detail.get("reason") or detail.get("problem") or detail.get("error")
    return f"{sentence}: {reason}" if reason else sentence


def _sent(detail: Mapping[str, str], state_names: Mapping[str, str]) -> str:
    what = MESSAGE_WORDS.get(detail.get("type", ""), "a message")
    to = _party(detail.get("to", ""), state_names)
    delivery = detail.get("delivery")
    if delivery == "delivered":
        return f"Delivered {what} to {to}; receipt signed"
    if delivery == "quarantined":
        return f"{to} refused {what}: {detail.get('error') or 'no reason given'}"
    attempts = int(detail.get("attempts") or 0)
    if attempts and detail.get("error"):
        return f"Not delivered to {to} yet ({detail['error']}); trying again"
    return f"Sending {what} to {to}"


def _party(authority: str, state_names: Mapping[str, str]) -> str:
    """``XB-CA`` as ``Borealis (XB-CA)`` when the State's name is known."""
    name = state_names.get(authority[:2])
    return f"{name} ({authority})" if name and authority else authority or "the other State"

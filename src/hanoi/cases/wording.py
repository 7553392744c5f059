"""A request's timeline in an officer's words: one plain sentence per item.

"Delivered the request to Borealis (XB-CA); receipt signed", not "message sent · attempts 0
· type request.submit". The technical detail (message ids, types, attempts) stays with the
item for whoever opens it. Pure: the same item and State names give the same sentence, in
the pages and anywhere else that shows a timeline.

The sentences are :class:`~hanoi.i18n.marker.Wording` values, each a whole sentence of the
pages' catalogue with its values (names, reasons, a moment), translated where a page shows
them; ``str()`` gives the English sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hanoi.cases.queries import TimelineItem
from hanoi.i18n.marker import N_, Wording, wording

#: What each message type carries, for the pages' sentences (each message type has its
#: own whole sentences: a fragment glued into a sentence would not translate).
MESSAGE_TYPES = (
    "request.submit",
    "request.action",
    "request.condition",
    "evidence.offer",
    "evidence.receipt",
)

#: A message received, by type ("" for one of no known type).
RECEIVED_WORDS = {
    "request.submit": N_("Received the request from %(party)s"),
    "request.action": N_("Received a step taken on the request from %(party)s"),
    "request.condition": N_("Received a condition on use from %(party)s"),
    "evidence.offer": N_("Received an offer of evidence from %(party)s"),
    "evidence.receipt": N_("Received the signed receipt for evidence from %(party)s"),
    "": N_("Received a message from %(party)s"),
}

#: A message delivered, with its receipt, by type.
DELIVERED_WORDS = {
    "request.submit": N_("Delivered the request to %(party)s; receipt signed"),
    "request.action": N_("Delivered a step taken on the request to %(party)s; receipt signed"),
    "request.condition": N_("Delivered a condition on use to %(party)s; receipt signed"),
    "evidence.offer": N_("Delivered an offer of evidence to %(party)s; receipt signed"),
    "evidence.receipt": N_(
        "Delivered the signed receipt for evidence to %(party)s; receipt signed"
    ),
    "": N_("Delivered a message to %(party)s; receipt signed"),
}

#: A message the other node refused for good (quarantined), by type.
REFUSED_WORDS = {
    "request.submit": N_("%(party)s refused the request: %(error)s"),
    "request.action": N_("%(party)s refused a step taken on the request: %(error)s"),
    "request.condition": N_("%(party)s refused a condition on use: %(error)s"),
    "evidence.offer": N_("%(party)s refused an offer of evidence: %(error)s"),
    "evidence.receipt": N_("%(party)s refused the signed receipt for evidence: %(error)s"),
    "": N_("%(party)s refused a message: %(error)s"),
}

#: A message on its way, by type.
SENDING_WORDS = {
    "request.submit": N_("Sending the request to %(party)s"),
    "request.action": N_("Sending a step taken on the request to %(party)s"),
    "request.condition": N_("Sending a condition on use to %(party)s"),
    "evidence.offer": N_("Sending an offer of evidence to %(party)s"),
    "evidence.receipt": N_("Sending the signed receipt for evidence to %(party)s"),
    "": N_("Sending a message to %(party)s"),
}

#: Timeline events (life-cycle actions and evidence steps) as sentences.
EVENT_WORDS = {
    "submit": N_("Submitted for a supervisor's approval"),
    "approve": N_("Approved by a supervisor"),
    "return": N_("Returned for changes"),
    "discard": N_("Discarded before it was sent"),
    "send": N_("Sent"),
    "receive": N_("Received"),
    "acknowledge": N_("Receipt acknowledged"),
    "start": N_("Execution started"),
    "execute": N_("Executed"),
    "execute-partially": N_("Partly executed"),
    "refuse": N_("Refused"),
    "postpone": N_("Postponed"),
    "preserve": N_("Data preserved"),
    "extend": N_("Preservation extended"),
    "release": N_("Preserved data released"),
    "withdraw": N_("Withdrawn"),
    "inquire": N_("Question asked"),
    "reply": N_("Question answered"),
    "consult": N_("Consultation before refusing"),
    "lapse": N_("Preservation lapsed"),
    "follow-up": N_("Follow-up request sent"),
    "condition": N_("Condition on use attached"),
    "reminder": N_("Deadline reminder"),
    "overdue": N_("Deadline passed"),
    "evidence-sealed": N_("Evidence sealed"),
    "evidence-offered": N_("Evidence offered"),
    "evidence-uploaded": N_("Evidence uploaded"),
    "evidence-received": N_("Evidence received and verified"),
    "evidence-delivered": N_("Evidence delivered; the receiver signed its receipt"),
    "evidence-opened": N_("Evidence opened"),
    "evidence-file-opened": N_("Evidence file opened and downloaded"),
    "evidence-expired": N_("Evidence upload given up"),
    "evidence-failed": N_("Evidence upload failed"),
    "evidence-rejected": N_("Evidence did not verify and was refused"),
}

#: The kinds of condition on use, as the pages name them.
CONDITION_NAMES = {
    "confidentiality": N_("confidentiality"),
    "speciality": N_("speciality"),
    "data-protection": N_("data protection"),
    "onward-transfer": N_("onward transfer"),
}


def condition_name(kind: str) -> str:
    """A kind of condition as the pages name it (its message id); an unknown one as it is."""
    return CONDITION_NAMES.get(kind, kind.replace("-", " "))


def describe(item: TimelineItem, state_names: Mapping[str, str]) -> Wording:
    """One sentence for ``item``; ``state_names`` maps State codes to names (``XB`` →
    ``Borealis``) to say where a message went or came from."""
    detail = item.detail
    if item.what == "message sent":
        return _sent(detail, state_names)
    if item.what == "message received":
        return wording(
            RECEIVED_WORDS[_type(detail)], party=_party(detail.get("from", ""), state_names)
        )
    if item.what == "receipt":
        return wording("%(party)s signed the receipt", party=_party(item.actor, state_names))
    if item.what not in EVENT_WORDS:
        return Wording(item.what.replace("-", " ").capitalize())
    event = Wording(EVENT_WORDS[item.what])
    if item.what == "condition" and detail.get("kind"):
        kind = Wording(condition_name(detail["kind"]))
        text = detail.get("text")
        if detail.get("to"):
            if text:
                return wording(
                    "Condition on use attached (%(kind)s to %(to)s): %(text)s",
                    kind=kind,
                    to=detail["to"],
                    text=text,
                )
            return wording(
                "Condition on use attached (%(kind)s to %(to)s)", kind=kind, to=detail["to"]
            )
        if text:
            return wording("Condition on use attached (%(kind)s): %(text)s", kind=kind, text=text)
        return wording("Condition on use attached (%(kind)s)", kind=kind)
    if item.what == "evidence-file-opened" and detail.get("name"):
        return wording("Evidence file opened and downloaded: %(name)s", name=detail["name"])
    if item.what in ("reminder", "overdue") and detail.get("label"):
        message = (
            N_("Deadline reminder: %(label)s by %(due)s")
            if item.what == "reminder"
            else N_("Deadline passed: %(label)s by %(due)s")
        )
        return wording(message, label=Wording(detail["label"]), due=_moment(detail.get("due", "")))
    reason = detail.get("reason") or detail.get("problem") or detail.get("error")
    ground = detail.get("ground_text")
    if ground and reason:
        return wording(
            "%(event)s (%(ground)s): %(reason)s", event=event, ground=Wording(ground), reason=reason
        )
    if ground:
        return wording("%(event)s (%(ground)s)", event=event, ground=Wording(ground))
    if reason:
        return wording("%(event)s: %(reason)s", event=event, reason=reason)
    return event


def _type(detail: Mapping[str, str]) -> str:
    kind = detail.get("type", "")
    return kind if kind in MESSAGE_TYPES else ""


def _sent(detail: Mapping[str, str], state_names: Mapping[str, str]) -> Wording:
    kind = _type(detail)
    to = _party(detail.get("to", ""), state_names)
    delivery = detail.get("delivery")
    if delivery == "delivered":
        return wording(DELIVERED_WORDS[kind], party=to)
    if delivery == "quarantined":
        error = detail.get("error") or Wording(N_("no reason given"))
        return wording(REFUSED_WORDS[kind], party=to, error=error)
    attempts = int(detail.get("attempts") or 0)
    if attempts and detail.get("error"):
        return wording(
            "Not delivered to %(party)s yet (%(error)s); trying again",
            party=to,
            error=detail["error"],
        )
    return wording(SENDING_WORDS[kind], party=to)


def _party(authority: str, state_names: Mapping[str, str]) -> str | Wording:
    """``XB-CA`` as ``Borealis (XB-CA)`` when the State's name is known."""
    name = state_names.get(authority[:2])
    if name and authority:
        return f"{name} ({authority})"
    return authority or Wording(N_("the other State"))


def _moment(iso: str) -> datetime | str:
    """A moment recorded as ISO text, to be written the page's way (as it was, if unreadable)."""
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return iso

"""The names in the Convention data that people read, as messages of the ``convention`` catalogue.

The Convention data is written in English, the source language. Everything in it that a page
or a letter shows an officer is listed here as a gettext message, so that each of the six UN
languages can say it (``hanoi/i18n/locales/<lang>/LC_MESSAGES/convention.po``; a test proves
every catalogue holds exactly these messages):

- chapter titles and article titles;
- instrument titles (the kinds of request) and the labels of their elements;
- the names of the channels a request travels by (``CHANNEL_NAMES``: the data holds codes);
- offence names and the texts of their optional (qualifying) elements;
- data category titles;
- refusal and postponement grounds.

Paraphrases a reviewer reads in the data files or the command line (article and instrument
summaries, data category definitions, time rules, notes) and the checker's rule messages
(sentences with ``str.format`` placeholders, said by the pages) are not names, and are not
listed here.

No message needs a context (``msgctxt``) yet: where the same English text appears twice (an
article and an instrument both called "Extradition", a chapter and an article both called
"Jurisdiction"), it means the same thing and is translated once.

Like the rest of this package, it imports nothing of Hanoi's but the package itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hanoi.convention.loader import get_convention
from hanoi.convention.model import CHAPTERS, Channel, Convention

__all__ = ["CHANNEL_NAMES", "Message", "channel_name", "convention_messages"]

Message = tuple[str | None, str]
"""A catalogue message: ``(msgctxt, msgid)``; the context is ``None`` for every one today."""

CHANNEL_NAMES: Mapping[Channel, str] = MappingProxyType(
    {
        "central_authority": "Central authority",
        "point_of_contact_24_7": "24/7 point of contact",
        "diplomatic": "Diplomatic channels",
        "interpol": "INTERPOL",
        "extradition_authority": "Extradition authority",
        "police": "Police",
    }
)
"""The English name of each channel code an instrument lists (``Instrument.channels``)."""


def channel_name(channel: Channel) -> str:
    """The English name of ``channel``: a message id of the ``convention`` catalogue."""
    return CHANNEL_NAMES[channel]


def convention_messages(convention: Convention | None = None) -> list[Message]:
    """Every name of the Convention data a person reads, once each, in the data's order.

    ``convention`` defaults to the shipped data (``get_convention()``).
    """
    convention = convention or get_convention()
    messages: dict[Message, None] = {}

    def add(text: str) -> None:
        messages[(None, text)] = None

    for title, _first, _last in CHAPTERS.values():
        add(title)
    for article in convention.articles:
        add(article.title)
    for instrument in convention.instruments.values():
        add(instrument.title)
        for channel in instrument.channels:
            add(CHANNEL_NAMES[channel])
        for element in instrument.elements:
            add(element.label)
    for offence in convention.offences:
        add(offence.name)
        for optional in offence.optional_elements:
            add(optional.text)
    for category in convention.data_categories:
        add(category.title)
    for ground in (*convention.refusal_grounds, *convention.postponement_grounds):
        add(ground.text)
    return list(messages)

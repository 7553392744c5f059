"""Marking page wording where it is written, in any layer, for translation where it is shown.

The domain words a few things the pages show: status names, deadline labels, the timeline's
sentences (``hanoi/cases``). It must not import the web layer, and it must not translate
either: the language of a page is only known while the page is drawn. So it only marks:

- ``N_("Preservation ends")``: a message id, returned as it is;
- ``wording("Sent to %(state)s", state=...)``: a message id with its values, a
  :class:`Wording`; a value may itself be a :class:`Wording` (a name to translate in its
  turn) or a ``datetime`` (written the page's way).

``hanoi.web.i18n`` re-exports both and translates them where a template shows them (the
``t`` filter); ``hanoi.i18n.extraction`` finds the marked ids in ``hanoi/web`` and in the
``hanoi/cases`` modules that import this one. Outside a page (the CLI, tests),
``str(wording)`` is the English sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["N_", "Wording", "wording"]


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here: the template that
    shows it translates it (``{{ message | t }}``), in the language of its page."""
    return message


@dataclass(frozen=True)
class Wording:
    """A message with its values, worded before the page's language is known and translated
    where a page shows it (``{{ wording | t }}``)."""

    message: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        """The sentence in English, its values filled in (nested ones in English too)."""
        if not self.values:
            return self.message
        return self.message % {key: _english(value) for key, value in self.values.items()}


def wording(message: str, **values: object) -> Wording:
    """``message`` (an id the extraction finds: this is one of its keywords) and its values."""
    return Wording(message, values)


def _english(value: object) -> object:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if isinstance(value, Wording):
        return str(value)
    return value

"""A State's name in the page's language, for every page that names a State.

The name comes from the first of these that has one:

1. the State's directory entry, in the page's language (``names`` of the entry);
2. for a real ISO 3166-1 code, the territory's name in the page's locale (Babel, from the
   Unicode CLDR: "Chine", "中国", "Китай"...);
3. the entry's own name (English), or the demo fixture's on a node that pinned no
   directory: the fictional demo States (XA Arcadia, XB Borealis, XC Cascadia) and any
   other user-assigned code keep the name their entry gives them;
4. the code itself.

Templates use the ``state_name`` filter (``{{ case.requested_state | state_name }}``, or an
entry, or a :class:`~hanoi.directory.states.StateInfo`), which asks the node's directory.
Python that words a sentence for a page before its language is known passes
:class:`StateNames` as a value of a ``wording`` (the names are written when it is shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from hanoi.directory.entry import Entry, is_user_assigned
from hanoi.directory.errors import DirectoryError
from hanoi.directory.states import StateInfo
from hanoi.directory.view import DirectoryView
from hanoi.web.deps import services_of
from hanoi.web.i18n import N_, active_language, gettext, listed, locale_of

__all__ = ["StateNames", "entry_channel_name", "state_name", "state_name_filter"]

#: The channels an entry accepts requests through, as the pages name them.
CHANNELS = {
    "platform": N_("this platform"),
    "diplomatic": N_("diplomatic channels"),
    "interpol": N_("INTERPOL"),
}


def state_name(
    state: str | Entry | StateInfo,
    lang: str | None = None,
    *,
    directory: DirectoryView | None = None,
) -> str:
    """The name of ``state`` (a code, an entry or a summary) in ``lang`` (default: the
    page's language); a code is looked up in ``directory`` (the node's) when given."""
    lang = lang or active_language()
    entry = state if isinstance(state, Entry) else None
    info = state if isinstance(state, StateInfo) else None
    code = state if isinstance(state, str) else state.code
    if isinstance(state, str) and directory is not None:
        try:
            entry = directory.entry(code)
            info = None if entry is not None else directory.states().state(code)
        except DirectoryError:  # an unreadable copy names no one: the code still has a name
            entry = info = None
    if entry is not None and lang in entry.names:
        return entry.names[lang]
    if len(code) == 2 and code.isupper() and not is_user_assigned(code):
        territory = locale_of(lang).territories.get(code)
        if territory:
            return str(territory)
    if entry is not None:
        return entry.display_name("en")
    if info is not None:
        return info.name
    return code


@dataclass(frozen=True)
class StateNames:
    """States named in the language of the page that shows them, as the locale lists them
    ("Borealis and Cascadia", "Borealis et Cascadia", "Borealis和Cascadia"): a value for a
    ``wording``, written when the page is drawn."""

    codes: Sequence[str]
    directory: DirectoryView | None = None

    def __str__(self) -> str:
        return listed([state_name(code, directory=self.directory) for code in self.codes])


def page_directory(context: Context) -> DirectoryView | None:
    """The directory of the node drawing the page whose template context is ``context``."""
    request: Any = context.get("request")
    if request is None:
        return None
    return DirectoryView(services_of(request).settings.home)


@pass_context
def state_name_filter(context: Context, state: str | Entry | StateInfo | None) -> str:
    """``{{ code | state_name }}``: the State's name in the page's language."""
    if state is None:
        return ""
    directory = page_directory(context) if isinstance(state, str) else None
    return state_name(state, directory=directory)


def entry_channel_name(code: str) -> str:
    """``{{ code | entry_channel_name }}``: a channel a directory entry accepts requests
    through ("platform"), named in the page's language."""
    return gettext(CHANNELS[code]) if code in CHANNELS else code

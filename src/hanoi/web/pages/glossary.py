"""/glossary: the Convention's key terms side by side in the six languages.

An officer writing to a State in another language finds there the word that State's
authorities use for "expedited preservation" or "subscriber information". The page's own
language comes first; every rendering not yet compared with the authentic text of the
Convention in its language is marked, discreetly, as unofficial. Public: it holds nothing
but terminology.
"""

from __future__ import annotations

import functools

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.i18n.glossary import Glossary, load_glossary
from hanoi.i18n.languages import LANGUAGES, direction, html_lang
from hanoi.web import auth
from hanoi.web.deps import Db
from hanoi.web.i18n import locale_of
from hanoi.web.templating import page

router = APIRouter()


@functools.cache
def _glossary() -> Glossary:
    return load_glossary()


def columns(first: str) -> list[dict[str, str]]:
    """The six languages as the table's columns, ``first`` leading, each named in ``first``
    (the template calls it with the page's language)."""
    names = locale_of(first).languages
    ordered = [first, *(lang for lang in LANGUAGES if lang != first)]
    return [
        {"code": lang, "lang": html_lang(lang), "dir": direction(lang), "name": names[lang]}
        for lang in ordered
    ]


@router.get("/glossary")
def glossary_page(request: Request, db: Db) -> Response:
    user = auth.current_user(request, db)
    return page(
        request, "glossary.html", {"user": user, "glossary": _glossary(), "columns": columns}
    )

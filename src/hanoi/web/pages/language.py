"""The language switcher: every page's small form posts here.

A signed-in user's choice is kept as their setting (audited, ``accounts.service
.set_language``) and in the ``hanoi_lang`` cookie; a visitor's (on the sign-in page) in the
cookie only. Then back to the page the form was on, if it is a path on this node.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hanoi.accounts.service import set_language
from hanoi.db import Database
from hanoi.errors import InvalidInput
from hanoi.i18n.languages import LANGUAGES
from hanoi.web import auth
from hanoi.web.deps import Db
from hanoi.web.i18n import LANGUAGE_COOKIE
from hanoi.web.landing import local_path

router = APIRouter()

COOKIE_LIFETIME = 365 * 24 * 3600


@router.post("/language")
async def choose(request: Request, db: Db) -> Response:
    form = await auth.checked_form(request)
    lang = auth.form_text(form, "lang")
    if lang not in LANGUAGES:
        raise InvalidInput(f"choose one of: {', '.join(LANGUAGES)}")
    await run_in_threadpool(_remember, request, db, lang)
    response = RedirectResponse(local_path(form.get("back")) or "/", status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        lang,
        max_age=COOKIE_LIFETIME,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _remember(request: Request, db: Database, lang: str) -> None:
    user = auth.current_user(request, db)
    if user is None:
        return
    with db.session() as session:
        set_language(session, user.username, lang)

"""Signing in and out. Password hashing takes real CPU time: it runs in a worker thread,
never on the event loop. After signing in, the user goes back to the page that asked for it
(``?next=``, same-origin paths only) or to their role's page (:mod:`hanoi.web.landing`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoi.config import Settings
from hanoi.db import Database
from hanoi.web import auth
from hanoi.web.deps import Db, NodeSettings
from hanoi.web.landing import landing, safe_next
from hanoi.web.templating import page

router = APIRouter()


@router.get("/")
def home(request: Request, db: Db) -> Response:
    user = auth.current_user(request, db)
    target = landing(user.role) if user else "/sign-in"
    return RedirectResponse(target, status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    # Only a safe ``next`` is carried into the form; anything else is dropped here already.
    wanted = safe_next(request.query_params.get("next"))
    return page(
        request,
        "sign_in.html",
        {"ask_totp": False, "error": None, "username": "", "next": wanted},
    )


@router.post("/sign-in")
async def sign_in(request: Request, db: Db, settings: NodeSettings) -> Response:
    form = await auth.checked_form(request)
    return await run_in_threadpool(_sign_in, request, db, settings, form)


def _sign_in(request: Request, db: Database, settings: Settings, form: FormData) -> Response:
    wanted = safe_next(form.get("next"))
    outcome = auth.sign_in_from_form(request, db, settings, form)
    if outcome.user is not None:
        return RedirectResponse(landing(outcome.user.role, wanted), status_code=303)
    username = str(form.get("username") or "").strip()
    response = page(
        request,
        "sign_in.html",
        {
            "ask_totp": outcome.ask_totp,
            "error": outcome.error,
            "username": username,
            "next": wanted,
        },
        status_code=outcome.status,
    )
    if outcome.retry_after is not None:
        response.headers["Retry-After"] = str(outcome.retry_after)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, db: Db) -> Response:
    await auth.checked_form(request)
    await run_in_threadpool(auth.end_session, request, db)
    return RedirectResponse("/sign-in", status_code=303)

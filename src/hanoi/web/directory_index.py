"""The page at /directory/ on the Secretariat's node: what the signed directory of States
served below it is, and where its files are.

``hanoi demo`` and ``hanoi directory init`` name /directory/ as the directory's address (the
base a node pins and refreshes from). The files under it are served as they are
(:func:`hanoi.web.app.create_app` mounts the repository folder, without listings); this page
answers the address itself, so a person who opens it learns what it is instead of a 404.
It lists only what the published metadata already tells anyone: State codes and versions,
each State named in the page's language (:mod:`hanoi.web.state_names`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hanoi.directory.errors import DirectoryError
from hanoi.directory.repository import SecretariatRepository, StateDelegation
from hanoi.web.i18n import Wording, wording
from hanoi.web.templating import page


def _published(folder: Path) -> tuple[list[StateDelegation], Wording | None]:
    try:
        return SecretariatRepository(folder).states(), None
    except (DirectoryError, OSError, ValueError) as exc:
        # A half-written or damaged repository still gets a page, saying so.
        return [], wording("The repository cannot be read now: %(problem)s", problem=str(exc))


def directory_router(secretariat_folder: Path) -> APIRouter:
    """The route for /directory/ of the repository in ``secretariat_folder``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/directory/")
    async def directory_index(request: Request) -> Response:
        states, problem = await run_in_threadpool(_published, secretariat_folder)
        return page(
            request,
            "directory_index.html",
            {"states": sorted(states, key=lambda s: s.code), "problem": problem},
        )

    return router

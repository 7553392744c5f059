"""The Convention as data, read-only. It is public text, so no sign-in is needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hanoi.convention import get_convention
from hanoi.convention.errors import UnknownInstrumentError
from hanoi.web.errors import ApiError
from hanoi.web.problems import problem_responses

router = APIRouter(prefix="/convention", tags=["convention"])


@router.get("/articles")
def articles() -> list[dict[str, Any]]:
    """The 68 articles with chapter, paraphrase and confidence."""
    return [a.model_dump(mode="json") for a in get_convention().articles]


@router.get("/instruments")
def instruments() -> list[dict[str, Any]]:
    """Every request kind with its elements, channels, time rules and grounds."""
    return [i.model_dump(mode="json") for i in get_convention().instruments.values()]


@router.get("/instruments/{kind}", responses=problem_responses(404))
def instrument(kind: str) -> dict[str, Any]:
    """One request kind."""
    try:
        return get_convention().instrument(kind).model_dump(mode="json")
    except UnknownInstrumentError as exc:
        raise ApiError(404, "Unknown request kind", str(exc)) from exc


@router.get("/offences")
def offences() -> list[dict[str, Any]]:
    """The offence code list."""
    return [o.model_dump(mode="json") for o in get_convention().offences]

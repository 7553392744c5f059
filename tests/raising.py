"""Asserting which check refused something, where one error class covers several checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest

E = TypeVar("E", bound=BaseException)


@contextmanager
def raises_check(
    kind: type[E], check: str, *, match: str | None = None
) -> Iterator[pytest.ExceptionInfo[E]]:
    """Like ``pytest.raises(kind, match=match)``, and the error's ``check`` must be
    ``check``: the test pins the failed check as a class of its own once did."""
    with pytest.raises(kind, match=match) as caught:
        yield caught
    assert getattr(caught.value, "check", None) == check, (check, caught.value)


def http_status(refusal: BaseException) -> int | None:
    """The HTTP status ``refusal`` is answered with (the table in ``web/problems.py``);
    None for a 500."""
    from hanoi.errors import HanoiError
    from hanoi.web.problems import answer_for

    assert isinstance(refusal, HanoiError), refusal
    answer = answer_for(refusal)
    return None if answer is None else answer.status

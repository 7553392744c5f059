"""A positional argument that begins with a dash (a kid, one in 64) is read as one."""

from __future__ import annotations

import pytest

from hanoi.cli.arguments import options_first

ARITY = {"--reason": True, "--home": True, "--json": False, "--help": False}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-egiW", "--reason", "x"], ["--reason", "x", "--", "-egiW"]),
        (["--reason", "-x", "-egiW"], ["--reason", "-x", "--", "-egiW"]),
        (["--reason=-x", "-egiW", "--json"], ["--reason=-x", "--json", "--", "-egiW"]),
        (["abc", "--home", "h"], ["--home", "h", "--", "abc"]),
        (["--", "--reason", "x"], ["--", "--reason", "x"]),
        (["--json"], ["--json"]),
        ([], []),
        # An option missing its value comes last, for Click to report it.
        (["-kid", "--reason"], ["--reason"]),
    ],
)
def test_options_go_first_and_the_rest_is_positional(args: list[str], expected: list[str]) -> None:
    assert options_first(args, ARITY) == expected

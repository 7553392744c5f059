"""Positional values that may begin with a dash, such as a key id.

A kid is a base64url thumbprint, so one key in 64 has a kid that begins with ``-``, and
Click would read ``hanoi node revoke-key -egiW...`` as an unknown option ``-e``. A command
made with ``cls=DashedArguments`` reads every word that is not one of its own options (or
such an option's value) as a positional argument, as if the user had typed ``--`` before
it. Its own options keep working anywhere on the line, and ``--`` still ends them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.core import TyperCommand

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from typer._click import Context, Parameter


def option_arity(params: Iterable[Parameter]) -> dict[str, bool]:
    """Each option name of ``params`` → whether it takes a value from the next word."""
    arity: dict[str, bool] = {}
    for param in params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        for name in param.opts:
            arity[name] = takes_value
        for name in param.secondary_opts:  # the "--no-x" half of a boolean flag
            arity[name] = False
    return arity


def options_first(args: list[str], arity: Mapping[str, bool]) -> list[str]:
    """``args`` with the known options (and their values) first, then ``--``, then the rest.

    An option left without its value comes last, alone, so that Click says so."""
    options: list[str] = []
    positional: list[str] = []
    words = iter(args)
    for word in words:
        if word == "--":
            positional.extend(words)
            break
        name = word.split("=", 1)[0]
        if name not in arity:
            positional.append(word)
            continue
        options.append(word)
        if arity[name] and "=" not in word:
            value = next(words, None)
            if value is None:  # Click reports the missing value: nothing may follow it
                return options
            options.append(value)
    return [*options, "--", *positional] if positional else options


class DashedArguments(TyperCommand):
    """A command whose positional arguments may begin with ``-`` (see the module)."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, options_first(args, option_arity(self.get_params(ctx))))

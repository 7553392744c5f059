"""Commands known by name and help before their module is imported.

An :class:`Entry` names a command, its one-line help and the module under ``hanoi.cli``
whose Typer ``app`` defines it, in one of three forms: the module's ``app`` is the group
(``"group"``: its help is the entry's line; entries the module lists in ``LAZY_COMMANDS``
are added to it), or the one command of ``app`` (``"command"``), or the command of the
entry's name among those of ``app`` (``"one_of"``: a group can so keep the commands with
heavy imports in a module of their own, listed in its ``LAZY_COMMANDS``).

A :class:`LazyCommand` stands for the entry in its group: help listings read its name and
help; running it, or asking for its own help, imports the module and hands over to the
real command.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from typer._click import Command, Context


@dataclass(frozen=True)
class Entry:
    name: str
    help: str
    module: str
    form: Literal["group", "command", "one_of"] = "group"


class LazyCommand(TyperCommand):
    """An entry in its group, imported when it is parsed (see the module's docstring)."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(entry.name, help=entry.help)
        self.entry = entry

    @cached_property
    def loaded(self) -> Command:
        module = importlib.import_module(f"hanoi.cli.{self.entry.module}")
        if self.entry.form == "command":
            return typer.main.get_command(module.app)
        group = typer.main.get_group(module.app)
        if self.entry.form == "one_of":
            return group.commands[self.entry.name]
        group.help = self.entry.help
        for entry in getattr(module, "LAZY_COMMANDS", ()):
            group.add_command(LazyCommand(entry))
        return group

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        # From here on the context, its parsing and its callback are the real command's.
        return self.loaded.make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        return self.loaded.invoke(ctx)

"""Commands known by name and help before their module is imported.

An :class:`Entry` names a command, its one-line help and the module under ``hanoi.cli``
whose Typer ``app`` holds it; a :class:`Group` names a group, its help and its entries.
:func:`command` turns either into what Click runs: a group is built from the table alone,
and each command is a :class:`LazyCommand`. Help listings read an entry's name and help;
running the command, or asking for its own help, imports its module and hands over to the
command the module defines. So a module imports at its top what its commands need, and a
command, or a group's help, pays for no other module's imports; and it imports them
outside the cyclic garbage collector (:func:`code_loading`).
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context


@dataclass(frozen=True)
class Entry:
    name: str
    help: str
    """The first paragraph of the command's docstring (a test keeps them equal)."""
    module: str


@dataclass(frozen=True)
class Group:
    name: str
    help: str
    entries: tuple[Entry, ...]


def entries(module: str, *commands: tuple[str, str]) -> tuple[Entry, ...]:
    """The entries of the commands (name, help) that ``module`` defines."""
    return tuple(Entry(name, summary, module) for name, summary in commands)


def command(item: Entry | Group) -> TyperCommand | TyperGroup:
    if isinstance(item, Entry):
        return LazyCommand(item)
    return TyperGroup(
        name=item.name,
        commands=[LazyCommand(entry) for entry in item.entries],
        help=item.help,
        no_args_is_help=True,
    )


class LazyCommand(TyperCommand):
    """An entry in its group, imported when it is parsed (see the module's docstring)."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(entry.name, help=entry.help)
        self.entry = entry

    @cached_property
    def loaded(self) -> Command:
        with code_loading():
            module = importlib.import_module(f"hanoi.cli.{self.entry.module}")
        return typer.main.get_group(module.app).commands[self.entry.name]

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


@contextmanager
def code_loading() -> Iterator[None]:
    """Import without the cyclic garbage collector, then keep what was imported out of it.

    Importing a command's modules makes some hundred thousand long-lived objects (modules,
    classes, functions, SQLAlchemy's and pydantic's tables) and hardly any garbage: the
    collector would walk them again and again as they pile up, and once more at exit, for
    nothing (about 0.1 s of a command that opens the node). So it is paused while they load,
    and what exists then is frozen (:func:`gc.freeze`: left out of every later collection).
    What the command makes afterwards is collected as usual. Nothing is frozen when nothing
    new was imported (the modules were loaded already, as in a process that runs several
    commands): each freeze also keeps whatever garbage is waiting then, for good.
    """
    modules = len(sys.modules)
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if len(sys.modules) > modules:
            gc.freeze()

"""Every error class says what it is for: a docstring, and a one-line title for answers.
(That each derives from ``hanoi.errors.HanoiError`` is checked in test_architecture.py.)"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import hanoi
from hanoi.errors import HanoiError


def _our_exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for module_info in pkgutil.walk_packages(hanoi.__path__, "hanoi."):
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_class_names_its_kind_in_one_line() -> None:
    classes = _our_exception_classes()
    assert len(classes) > 40
    for cls in classes:
        assert cls.__doc__ and cls.__doc__.strip(), cls
        if issubclass(cls, HanoiError):
            assert cls.title and "\n" not in cls.title, cls

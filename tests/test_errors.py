"""Every error Hanoi raises on purpose derives from one root, ``hanoi.errors.HanoiError``."""

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


def test_every_exception_class_of_ours_derives_from_hanoi_error() -> None:
    classes = _our_exception_classes()
    assert len(classes) > 40
    strays = sorted(
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, HanoiError)
    )
    assert strays == []


def test_every_class_names_its_kind_in_one_line() -> None:
    for cls in _our_exception_classes():
        assert cls.__doc__ and cls.__doc__.strip(), cls
        if issubclass(cls, HanoiError):
            assert cls.title and "\n" not in cls.title, cls

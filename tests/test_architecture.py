"""src/hanoi obeys the house rules of docs/architecture.md; and each check does catch the
fault it is for, shown on a small package written for the purpose."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from tests.architecture import (
    declared_layers,
    layering_faults,
    package_cycles,
    private_imports,
    stray_exceptions,
)

REPO = Path(__file__).resolve().parents[1]
HANOI = REPO / "src" / "hanoi"
# Alembic's environment runs migrations when imported; its revisions are self-contained.
SKIP = ("migrations",)


def layers() -> dict[str, int]:
    return declared_layers((REPO / "docs" / "architecture.md").read_text(encoding="utf-8"))


def test_no_module_imports_another_modules_private_names() -> None:
    assert private_imports(HANOI, SKIP) == []


def test_every_import_goes_down_the_layers_of_the_map() -> None:
    assert layering_faults(HANOI, layers(), SKIP) == []


def test_no_import_cycle_between_packages() -> None:
    assert package_cycles(HANOI, SKIP) == []


def test_every_exception_is_a_hanoi_error() -> None:
    from hanoi.errors import HanoiError

    assert stray_exceptions(HANOI, HanoiError, SKIP) == []


# The checks themselves, on a package that breaks each rule once.

LAYERS_DOC = """
```layers
0  errors
1  low/
2  high/
```
"""


def write_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "fakepkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_a_private_name_or_private_module_imported_from_elsewhere_is_named(
    tmp_path: Path,
) -> None:
    root = write_package(
        tmp_path,
        {
            "low/__init__.py": "",
            "low/a.py": "def _helper(): ...\n",
            "low/_inner.py": "X = 1\n",
            "low/b.py": "from fakepkg.low._inner import X\n",  # same package: allowed
            "high/__init__.py": "",
            "high/c.py": """
                def f():
                    from fakepkg.low.a import _helper
                    from ..low import _inner
            """,
        },
    )
    assert private_imports(root) == [
        "fakepkg.high.c:3 imports fakepkg.low.a._helper",
        "fakepkg.high.c:4 imports fakepkg.low._inner",
    ]


def test_an_import_sideways_or_up_the_layers_is_named(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "errors.py": "",
            "low/__init__.py": "",
            "low/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from fakepkg.high import b\n",
            "high/__init__.py": "",
            "high/b.py": "from fakepkg import errors\nfrom fakepkg.low import a\n",
            "extra.py": "",
        },
    )
    faults = layering_faults(root, declared_layers(LAYERS_DOC))
    assert faults == [
        "extra is not placed in the layers of docs/architecture.md",
        "fakepkg.low.a:3 imports fakepkg.high: low/ (layer 1) may import only lower "
        "layers, high/ is on 2",
    ]


def test_a_unit_placed_twice_or_a_map_without_layers_is_refused() -> None:
    with pytest.raises(AssertionError, match="placed twice"):
        declared_layers("```layers\n0 a\n1 a\n```")
    with pytest.raises(AssertionError, match="no ```layers"):
        declared_layers("# no layers here")


def test_a_cycle_between_packages_is_named(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "low/__init__.py": "from fakepkg.high import b\n",
            "high/__init__.py": "",
            "high/b.py": "def f():\n    from fakepkg import low\n",
        },
    )
    assert package_cycles(root) == ["high/ -> low/ -> high/"]


def test_an_exception_outside_the_root_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_package(
        tmp_path,
        {
            "errors.py": "class RootError(Exception): ...\n",
            "low/__init__.py": "",
            "low/a.py": """
                from fakepkg.errors import RootError
                class Fine(RootError): ...
                class Stray(ValueError): ...
                class NotAnError: ...
            """,
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "modules", dict(sys.modules))
    from fakepkg.errors import RootError  # type: ignore[import-not-found]

    assert stray_exceptions(root, RootError) == ["fakepkg.low.a.Stray is not a RootError"]

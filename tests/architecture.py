"""The house rules of docs/architecture.md, checked on a source tree with ``ast``.

Four checks, each returning the faults it found (an empty list when the tree obeys):

- ``private_imports``: a module imports another module's private name (``from m import
  _x``) or a private module from outside that module's own package;
- ``layering_faults``: an import that goes sideways or up the layers the map declares (a
  unit may import only units on lower layers), or a unit the map does not place;
- ``package_cycles``: a cycle between units (packages, and top-level modules);
- ``stray_exceptions``: an exception class defined at module level outside the root's tree.

A *unit* is a sub-package (``cases/``) or a top-level module (``config``) of the package.
Every import counts, at module level, inside functions and under ``TYPE_CHECKING``: a
dependency does not stop being one because it is deferred.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LAYERS_BLOCK = re.compile(r"```layers\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Import:
    """One import statement's target, as seen from the module that makes it."""

    importer: str  # dotted module name
    target: str  # dotted module name imported, or imported from
    names: tuple[str, ...]  # names taken with ``from target import ...``
    line: int


def module_name(root: Path, path: Path) -> str:
    """``src/pkg/a/b.py`` -> ``pkg.a.b``; a package's ``__init__`` is the package."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_files(root: Path, skip: tuple[str, ...] = ()) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if not any(part in skip for part in path.relative_to(root).parts):
            yield path


def imports(root: Path, skip: tuple[str, ...] = ()) -> Iterator[Import]:
    """Every import of the package's own modules, relative imports resolved."""
    package = root.name
    for path in source_files(root, skip):
        importer = module_name(root, path)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == package:
                        yield Import(importer, alias.name, (), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                target = _absolute(importer, is_package, node.module, node.level)
                if target.split(".")[0] == package:
                    names = tuple(alias.name for alias in node.names)
                    yield Import(importer, target, names, node.lineno)


def _absolute(importer: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def unit_of(root: Path, module: str) -> str:
    """The unit a module belongs to: ``pkg.cases.x`` -> ``cases/``, ``pkg.config`` ->
    ``config``; the package itself is its own unit."""
    parts = module.split(".")
    if len(parts) == 1:
        return parts[0]
    return parts[1] + "/" if (root / parts[1]).is_dir() else parts[1]


def unit_imports(root: Path, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, str, Import]]:
    """(importing unit, imported unit, the import) for every import between two units.
    ``from pkg import x`` imports the unit ``x`` when ``x`` is a module or package, and the
    package itself (no unit) when ``x`` is a name such as ``__version__``."""
    package = root.name
    for found in imports(root, skip):
        source = unit_of(root, found.importer)
        targets = (
            [unit_of(root, f"{package}.{name}") for name in found.names if _is_module(root, name)]
            if found.target == package
            else [unit_of(root, found.target)]
        )
        for target in targets:
            if target != source and target != package:
                yield source, target, found


def _is_module(root: Path, name: str) -> bool:
    return (root / name).is_dir() or (root / f"{name}.py").is_file()


def private_imports(root: Path, skip: tuple[str, ...] = ()) -> list[str]:
    faults = []
    for found in imports(root, skip):
        for name in found.names:
            if (
                name.startswith("_")
                and not name.startswith("__")
                and found.target != found.importer
            ):
                faults.append(f"{found.importer}:{found.line} imports {found.target}.{name}")
        private = [part for part in found.target.split(".") if part.startswith("_")]
        if private and not found.importer.startswith(found.target.rsplit(".", 1)[0] + "."):
            faults.append(f"{found.importer}:{found.line} imports private module {found.target}")
    return faults


def declared_layers(architecture_md: str) -> dict[str, int]:
    """The ``layers`` block of the map: ``N  unit unit ...`` per line, lowest layer first."""
    match = LAYERS_BLOCK.search(architecture_md)
    if match is None:
        raise AssertionError("docs/architecture.md has no ```layers block")
    layers: dict[str, int] = {}
    for line in match.group(1).splitlines():
        if not line.strip():
            continue
        number, *units = line.split()
        for unit in units:
            if unit in layers:
                raise AssertionError(f"{unit} is placed twice in the layers block")
            layers[unit] = int(number)
    return layers


def layering_faults(root: Path, layers: dict[str, int], skip: tuple[str, ...] = ()) -> list[str]:
    faults = []
    units = {unit_of(root, module_name(root, path)) for path in source_files(root, skip)}
    for unit in sorted(units - set(layers) - {root.name}):
        faults.append(f"{unit} is not placed in the layers of docs/architecture.md")
    for source, target, found in unit_imports(root, skip):
        if source in layers and target in layers and layers[target] >= layers[source]:
            faults.append(
                f"{found.importer}:{found.line} imports {found.target}: {source} (layer "
                f"{layers[source]}) may import only lower layers, {target} is on {layers[target]}"
            )
    return faults


def package_cycles(root: Path, skip: tuple[str, ...] = ()) -> list[str]:
    graph: dict[str, set[str]] = {}
    for source, target, _ in unit_imports(root, skip):
        graph.setdefault(source, set()).add(target)
    cycles: list[str] = []
    done: set[str] = set()

    def visit(unit: str, path: list[str]) -> None:
        if unit in path:
            cycles.append(" -> ".join([*path[path.index(unit) :], unit]))
            return
        if unit in done:
            return
        for nxt in sorted(graph.get(unit, ())):
            visit(nxt, [*path, unit])
        done.add(unit)

    for unit in sorted(graph):
        visit(unit, [])
    return cycles


def stray_exceptions(
    root: Path, base: type[BaseException], skip: tuple[str, ...] = ()
) -> list[str]:
    """Module-level classes that are exceptions but not under ``base`` (imported to read
    their real bases, which ``ast`` alone cannot resolve across modules)."""
    faults = []
    for path in source_files(root, skip):
        name = module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
        if not classes:
            continue
        module = importlib.import_module(name)
        for class_name in classes:
            cls = getattr(module, class_name)
            is_exception = isinstance(cls, type) and issubclass(cls, BaseException)
            if is_exception and not issubclass(cls, base):
                faults.append(f"{name}.{class_name} is not a {base.__name__}")
    return faults

"""A request document as a browser posts it from the generated form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hanoi.web.forms import FieldSpec


def form_fields(
    specs: tuple[FieldSpec, ...], doc: dict[str, Any], prefix: str = ""
) -> Iterator[tuple[str, str]]:
    """A document as the browser would post it from the generated form."""
    for spec in specs:
        name = prefix + spec.key
        value = doc.get(spec.key)
        if value is None:
            continue
        if spec.widget == "group":
            yield from form_fields(spec.children, value, f"{name}.")
        elif spec.widget == "rows":
            for i, row in enumerate(value):
                yield from form_fields(spec.children, row, f"{name}.{i}.")
        elif spec.widget == "choices":
            for item in value:
                yield name, str(item)
        elif spec.widget == "lines":
            if value:
                yield name, "\n".join(value)
        elif spec.widget == "yesno":
            yield name, "true" if value else "false"
        elif spec.widget == "checkbox":
            if value:
                yield name, "true"
        else:
            yield name, str(value)

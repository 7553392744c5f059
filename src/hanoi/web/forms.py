"""HTML forms generated from the request-document models, and back.

The pydantic models in ``hanoi.cases.documents`` are the single description of a request;
this module walks them to build form fields (labels from each field's ``title``) and turns a
submitted form into the nested JSON document again. Field names are dotted paths such as
``data_items.0.description`` — the same paths the checker reports problems on, so a problem
lands next to its field.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from annotated_types import MaxLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from starlette.datastructures import FormData

from hanoi.cases.check import Problem, Term
from hanoi.cases.documents import SHORT
from hanoi.convention.model import Convention
from hanoi.directory.states import StateDirectory
from hanoi.web.i18n import N_, Wording, long_date, wording

WidgetKind = Literal[
    "text",
    "textarea",
    "date",
    "integer",
    "number",
    "checkbox",
    "select",
    "lines",
    "choices",
    "group",
    "rows",
    "fixed",
    "yesno",
]


@dataclass(frozen=True)
class FieldSpec:
    """One form field. ``key`` is the model field name; full names are dotted paths built
    by prefixing the keys of enclosing groups and row numbers."""

    key: str
    label: str
    widget: WidgetKind
    description: str | None = None
    options: tuple[str, ...] = ()
    children: tuple[FieldSpec, ...] = field(default=())
    #: The model's bound: characters for text, entries for lists (``lines``, ``rows``).
    max_length: int | None = None
    #: Characters per entry of a ``lines`` field.
    item_max_length: int | None = None

    @property
    def max_chars(self) -> int | None:
        """What a ``maxlength`` attribute may say: a text's own bound, or a list's entries
        times their bound (plus a line break each) for a one-per-line textarea."""
        if self.widget in ("text", "textarea"):
            return self.max_length
        if self.widget == "lines" and self.max_length and self.item_max_length:
            return self.max_length * (self.item_max_length + 1)
        return None


def _max_length(info: FieldInfo) -> int | None:
    return next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _literal_options(annotation: Any) -> tuple[str, ...] | None:
    if typing.get_origin(annotation) is Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(m.value) for m in annotation)
    return None


def fields_for(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """The form fields of a model, in declaration order."""
    specs = []
    for name, info in model.model_fields.items():
        label = info.title or name.replace("_", " ").capitalize()
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        annotation = _strip_optional(info.annotation)
        optional = annotation is not info.annotation
        options = _literal_options(annotation)
        spec_args: dict[str, Any] = {
            "key": name,
            "label": label,
            "description": info.description,
            "max_length": _max_length(info),
        }
        if name == "kind":
            specs.append(FieldSpec(widget="fixed", **spec_args))
        elif options is not None:
            specs.append(FieldSpec(widget="select", options=options, **spec_args))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            children = fields_for(annotation)
            specs.append(FieldSpec(widget="group", children=children, **spec_args))
        elif typing.get_origin(annotation) is list:
            (item,) = typing.get_args(annotation)
            item = _strip_optional(item)
            item_options = _literal_options(item)
            if isinstance(item, type) and issubclass(item, BaseModel):
                children = fields_for(item)
                specs.append(FieldSpec(widget="rows", children=children, **spec_args))
            elif item_options is not None:
                specs.append(FieldSpec(widget="choices", options=item_options, **spec_args))
            else:
                # Every list of strings in the documents is a ShortList (entries of SHORT).
                specs.append(FieldSpec(widget="lines", item_max_length=SHORT, **spec_args))
        elif annotation is bool:
            # An optional yes/no keeps "not answered" apart from "no": the checker treats
            # a missing statement differently from a negative one.
            widget: WidgetKind = "yesno" if optional else "checkbox"
            specs.append(FieldSpec(widget=widget, **spec_args))
        elif annotation is int:
            specs.append(FieldSpec(widget="integer", **spec_args))
        elif annotation is float:
            specs.append(FieldSpec(widget="number", **spec_args))
        elif annotation is dt.date:
            specs.append(FieldSpec(widget="date", **spec_args))
        else:
            text: WidgetKind = "textarea" if extra.get("widget") == "textarea" else "text"
            specs.append(FieldSpec(widget=text, **spec_args))
    return tuple(specs)


def form_to_document(form: FormData, specs: tuple[FieldSpec, ...]) -> dict[str, Any]:
    """The submitted form as a JSON-able document (not yet validated).

    Empty inputs are left out, so a half-filled draft stays a valid draft and the checker,
    not the parser, reports what is missing.
    """
    return _read_group(form, specs, "")


def _read_group(form: FormData, specs: tuple[FieldSpec, ...], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs:
        value = _read_field(form, spec, prefix + spec.key)
        if value is not None:
            out[spec.key] = value
    return out


def _read_field(form: FormData, spec: FieldSpec, name: str) -> Any:
    if spec.widget == "group":
        group = _read_group(form, spec.children, f"{name}.")
        return group or None
    if spec.widget == "rows":
        rows = []
        for index in _row_indices(form, name):
            row = _read_group(form, spec.children, f"{name}.{index}.")
            if row:
                rows.append(row)
        return rows
    if spec.widget == "checkbox":
        return name in form
    if spec.widget == "choices":
        return [str(v) for v in form.getlist(name)]
    raw = form.get(name)
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None
    if spec.widget == "yesno":
        return {"true": True, "false": False}.get(text, text)
    if spec.widget == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if spec.widget == "integer":
        try:
            return int(text)
        except ValueError:
            return text  # left as typed: the parser reports the wrong type on this field
    if spec.widget == "number":
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _row_indices(form: FormData, name: str) -> list[int]:
    prefix = f"{name}."
    indices = set()
    for key in form:
        if key.startswith(prefix):
            head = key[len(prefix) :].split(".", 1)[0]
            if head.isdigit() and len(head) < 4:
                indices.add(int(head))
    return sorted(indices)


def value_at(document: Mapping[str, Any] | None, name: str) -> Any:
    """The value at a dotted path of a document, or None."""
    current: Any = document
    for part in name.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def labels_by_path(specs: tuple[FieldSpec, ...], prefix: str = "") -> dict[str, str]:
    """Field labels by dotted path, list positions written ``*`` (``offences.*.code``)."""
    labels: dict[str, str] = {}
    for spec in specs:
        path = prefix + spec.key
        labels[path] = spec.label
        if spec.widget == "group":
            labels.update(labels_by_path(spec.children, f"{path}."))
        elif spec.widget == "rows":
            labels.update(labels_by_path(spec.children, f"{path}.*."))
    return labels


def label_for(labels: dict[str, str], path: str) -> str:
    """The label of a concrete path such as ``offences.0.code``, numbered for list items."""
    parts = path.split(".")
    generic = ".".join("*" if p.isdigit() else p for p in parts)
    label = labels.get(generic, path or "Document")
    numbers = [str(int(p) + 1) for p in parts if p.isdigit()]
    return f"{label} ({', '.join(numbers)})" if numbers else label


def label_wording(labels: dict[str, str], path: str) -> Wording:
    """:func:`label_for` as pages say it: the label translated where it is shown, the
    numbers of list items after it."""
    parts = path.split(".")
    generic = ".".join("*" if p.isdigit() else p for p in parts)
    label = Wording(labels.get(generic, path or "Document"))
    numbers = [str(int(p) + 1) for p in parts if p.isdigit()]
    if not numbers:
        return label
    return wording("%(label)s (%(numbers)s)", label=label, numbers=", ".join(numbers))


def option_name(code: str) -> str:
    """A choice value as people read it (``traffic_data`` -> ``Traffic data``): the message
    id the ``letters`` catalogue translates it by, so a page and a letter say it alike."""
    text = code.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def problem_wording(problem: Problem | Any) -> Wording | str:
    """A check problem as a page says it (``{{ problem_wording(p) | t }}``): its message
    template and values, the values that are wording translated too and dates written the
    page's way (so it is called while the page's language is active: from the template, or
    inside ``speaking``). A problem with no template (a parse issue of the form) is said as
    its message."""
    template = getattr(problem, "template", None)
    if template is None:
        return str(problem.message)
    return Wording(template, {key: _term(value) for key, value in problem.values.items()})


def _term(value: object) -> object:
    if isinstance(value, Term):
        return Wording(value.message, {key: _term(v) for key, v in value.values.items()})
    if isinstance(value, dt.date):
        return long_date(value)  # said while a page (or the live check) speaks its language
    return value


def generic_path(path: str) -> str:
    """``offences.0.code`` -> ``offences.*.code``: the path the Convention data speaks of."""
    return ".".join("*" if p.isdigit() else p for p in path.split("."))


def labelled_issue(labels: dict[str, str], path: str, message: str) -> str:
    """A parse issue said with its field's label instead of its dotted path."""
    prefix = f"{path}: "
    text = message[len(prefix) :] if path and message.startswith(prefix) else message
    return f"{label_for(labels, path)}: {text}" if path else text


@dataclass(frozen=True)
class Choice:
    """One option of a pick list: the value the document stores, what the officer reads,
    and ``data-*`` attributes a script filters or explains by."""

    value: str
    label: str | Wording
    data: tuple[tuple[str, str], ...] = ()


#: Names of the languages the fixture and the UN use; any other code is shown as it is.
LANGUAGE_NAMES = {
    "ar": N_("Arabic"),
    "de": N_("German"),
    "en": N_("English"),
    "es": N_("Spanish"),
    "fr": N_("French"),
    "pt": N_("Portuguese"),
    "ru": N_("Russian"),
    "zh": N_("Chinese"),
}


def pick_lists(convention: Convention, directory: StateDirectory) -> dict[str, tuple[Choice, ...]]:
    """Fields whose values come from a list the node knows, by generic path: the States of
    the verified directory, the languages they accept, the Convention's offences and data
    categories. The values are exactly what the document models accept (two-letter codes,
    offence codes, category ids); a value outside a list is kept by the form, not dropped."""
    states = tuple(
        Choice(
            info.code,
            f"{info.name} ({info.code})",
            (
                ("languages", " ".join(info.languages)),
                ("authority", info.central_authority),
                ("contact", info.point_of_contact_24_7),
            ),
        )
        for info in sorted(directory.states, key=lambda i: i.name)
    )
    accepted: dict[str, list[str]] = {}
    for info in directory.states:
        for code in info.languages:
            accepted.setdefault(code, []).append(info.code)
    languages = tuple(
        Choice(
            code,
            wording(
                "%(language)s (%(code)s)",
                language=Wording(LANGUAGE_NAMES.get(code, code)),
                code=code,
            ),
            (("states", " ".join(sts)),),
        )
        for code, sts in sorted(accepted.items())
    )
    offences = tuple(
        Choice(
            o.code,
            wording(
                "%(code)s — %(name)s (%(article)s)",
                code=o.code,
                name=Wording(o.name),
                article=str(o.article),
            ),
        )
        for o in convention.offences
    )
    categories = tuple(
        Choice(
            c.id, wording("%(title)s (%(article)s)", title=Wording(c.title), article=str(c.article))
        )
        for c in convention.data_categories
    )
    return {
        "requesting_state": states,
        "requested_state": states,
        "language": languages,
        "offences.*.code": offences,
        "data_items.*.category": categories,
    }

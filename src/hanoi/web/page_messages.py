"""Every message of the ``pages`` catalogue: what the pages' sources spell out
(``hanoi.i18n.extraction.source_messages``) and the wording the pages show from data.

``scripts/catalogues.py`` (``make catalogues``) writes them into each language's
``pages.po`` and ``tests/i18n/test_page_catalogues.py`` checks each catalogue against them.
This lives in the web layer because the data's wording is read from the domain.
"""

from __future__ import annotations

from hanoi.i18n.extraction import Found, source_messages

__all__ = ["data_messages", "page_messages"]


def page_messages() -> list[Found]:
    """Every message of the pages, each once: the sources' first, then the data's."""
    found = {item.key: item for item in source_messages()}
    for item in data_messages():
        found.setdefault(item.key, item)
    return list(found.values())


def data_messages() -> list[Found]:
    """The wording pages show that no source of the web layer spells out, as messages of the
    ``pages`` catalogue:

    - a check problem's message (``hanoi.cases.check``): each rule's message template of
      ``convention/data/rules.yaml``, made a gettext id by ``check.message_id`` (the page
      fills it with the problem's values), and the checker's own phrases (``Missing
      required element: %(element)s.``...). They are sentences with placeholders, not names,
      so they belong here rather than in the ``convention`` catalogue of names;
    - the hints of the request forms: the ``description`` of each field of the request
      documents (their ``title`` is the ``letters`` catalogue's, which pages read too).

    Read from the data at run time, like the rules themselves: a reviewer who rewords a rule
    in ``rules.yaml`` then runs ``make catalogues``, and the tests fail until it is
    translated.
    """
    from hanoi.cases.check import problem_messages
    from hanoi.cases.documents import KINDS, document_model

    found: dict[str, Found] = {}
    for message in problem_messages():
        found.setdefault(message, Found(message, None, (("hanoi/cases/check.py", 0),)))
    seen: set[type] = set()
    models: list[type] = [document_model(kind) for kind in KINDS]
    while models:
        model = models.pop(0)
        if model in seen:
            continue
        seen.add(model)
        for info in model.model_fields.values():  # type: ignore[attr-defined]
            if info.description:
                found.setdefault(
                    info.description,
                    Found(info.description, None, (("hanoi/cases/documents.py", 0),)),
                )
            models.extend(_models_in(info.annotation))
    return list(found.values())


def _models_in(annotation: object) -> list[type]:
    """The pydantic models an annotation holds (``Period | None``, ``list[OffenceItem]``)."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]

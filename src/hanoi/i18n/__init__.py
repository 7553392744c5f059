"""The six UN languages: which ones Hanoi speaks, and the catalogues that say its words in them.

``languages.py`` names the languages, their direction and their locales for dates and
numbers, and picks one from an ``Accept-Language`` header; ``catalogues.py`` reads the
``.po`` catalogues under ``locales/<lang>/LC_MESSAGES/`` at run time, one per *domain*:

- ``letters``: the fixed wording of request letters (``cases/letter_view.py``, ``letter*.html``);
- ``pages``: every string of the web pages (``web/templates``, ``web/pages``);
- ``convention``: the names in the Convention data (articles, instruments, elements,
  grounds, offences, data categories), shared by letters and pages; the list is
  ``hanoi.convention.names.convention_messages()``.

``glossary.py`` reads ``glossary.yaml``, the Convention's key terms in the six languages,
which every catalogue follows (a test holds them to it).

This package sits at the bottom of the layering with ``errors.py``: it imports Babel (and
PyYAML and pydantic for the glossary) and nothing else of Hanoi's, so every layer may use it.
"""

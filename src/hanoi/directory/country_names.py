"""A real State's name in the UN languages, from pycountry: its ISO 3166-1 table and the
translations it ships.

Apart from the entry model (:mod:`hanoi.directory.entry`), which reads entries without
pycountry: :meth:`~hanoi.directory.entry.Entry.display_names` imports this module only for
a name the entry does not give itself.
"""

from __future__ import annotations

import functools
import gettext

import pycountry


def country_name(code: str, lang: str) -> str | None:
    """The name of the country ``code`` (ISO 3166-1 alpha-2) in ``lang`` (a UN language);
    ``None`` if pycountry has no such country, or no translation into ``lang``."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    if lang == "en":
        return str(country.name)
    catalogue = _catalogue(lang)
    return catalogue.gettext(country.name) if catalogue is not None else None


@functools.cache
def _catalogue(lang: str) -> gettext.NullTranslations | None:
    locale = "zh_CN" if lang == "zh" else lang
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
    except OSError:
        return None

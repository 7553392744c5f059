"""Wording marked where it is written, in any layer (hanoi/i18n/marker.py), found by the
extraction and translated where a page shows it (hanoi/web/i18n.py, the ``t`` filter)."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup

from hanoi.i18n.extraction import page_sources
from hanoi.i18n.marker import N_, Wording, wording
from hanoi.web.i18n import speaking, translate, utc_time
from hanoi.web.page_messages import page_messages

MOMENT = datetime(2026, 12, 8, 14, 5, tzinfo=UTC)


def test_a_marked_message_is_itself_until_a_page_shows_it() -> None:
    assert N_("Preservation ends") == "Preservation ends"
    said = wording(
        "Deadline reminder: %(label)s by %(due)s", label=Wording("Preservation ends"), due=MOMENT
    )
    assert str(said) == "Deadline reminder: Preservation ends by 2026-12-08 14:05 UTC"
    with speaking("fr"):
        shown = translate(said)
    assert shown == f"Rappel de délai : Fin de la conservation avant le {_fr(MOMENT)}"


def _fr(moment: datetime) -> str:
    with speaking("fr"):
        return utc_time(moment)


def test_the_values_of_a_wording_are_escaped_but_nested_wordings_are_not_twice() -> None:
    said = wording(
        "%(event)s: %(reason)s", event=Wording("Refused"), reason="<script>x</script> & co"
    )
    with speaking("es"):
        shown = translate(said)
    assert isinstance(shown, Markup)
    assert shown == "Denegada: &lt;script&gt;x&lt;/script&gt; &amp; co"
    with speaking("ar"):
        assert translate(Wording("Refused")) == "رُفض"
    assert translate("no id of the catalogue") == "no id of the catalogue"


def test_the_extraction_reads_the_domain_modules_that_mark_page_wording() -> None:
    sources = {path.name for _method, path in page_sources() if "cases" in path.parts}
    assert {"wording.py", "deadlines.py", "status.py"} <= sources
    assert "acting.py" not in sources  # it words errors, not pages: not read
    places = {m.key[1]: {place for place, _line in m.places} for m in page_messages()}
    assert "cases/deadlines.py" in places["Preservation ends"]
    assert "cases/status.py" in places["awaiting approval"]
    assert "cases/wording.py" in places["Received the request from %(party)s"]

"""/treaty: the Convention's status for anyone, on every node and on the Secretariat's.

Signatories and Parties counted from the node's depositary record, beside the counts that
sources state (and a plain word where they disagree); the progress toward the 40
instruments of Art. 65(1) as a chart; the timeline of signatures and deposits; the States
by UN regional group; and each State's rows with their sources and confidence. The same
in machine form: ``/treaty.json`` (the status exactly as ``hanoi treaty status --json``
gives it, with the groups, the States' rows and the progress), ``/treaty.csv`` (one line
per row of the record) and ``/treaty/progress.svg`` (the chart, for reports). Public: the
record is public knowledge.

Everything shown comes from :func:`hanoi.treaty.report.treaty_report`, a pure function of
the record, the regional groups and the day; this module picks the record
(:func:`node_record`) and speaks HTTP and the page's language.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

import hanoi
from hanoi.directory.entry import is_user_assigned
from hanoi.directory.errors import DirectoryCacheError, DirectoryError
from hanoi.directory.local_copy import LocalCopy
from hanoi.directory.names import TREATY_RECORD_PATH
from hanoi.directory.repository import SecretariatRepository
from hanoi.directory.view import DirectoryView
from hanoi.node import has_node, read_node
from hanoi.treaty import SHIPPED_RECORD
from hanoi.treaty.chart import ChartWords, progress_svg
from hanoi.treaty.groups import regional_groups
from hanoi.treaty.record import Action, ActionKind, TreatyRecord, load_record
from hanoi.treaty.report import TreatyReport, treaty_report
from hanoi.web import auth, i18n
from hanoi.web.deps import Db, NodeSettings
from hanoi.web.state_names import state_name
from hanoi.web.templating import page

router = APIRouter()

#: The demo federation's fictional record (as ``hanoi treaty status --demo`` reads it).
DEMO_RECORD = Path(hanoi.__file__).parent / "demo" / "data" / "treaty-record.yaml"

RecordKind = Literal["secretariat", "signed", "demo", "shipped"]

#: Each action as the page names it.
ACTION_NAMES = {
    ActionKind.SIGNATURE: i18n.N_("signature"),
    ActionKind.RATIFICATION: i18n.N_("ratification"),
    ActionKind.ACCEPTANCE: i18n.N_("acceptance"),
    ActionKind.APPROVAL: i18n.N_("approval"),
    ActionKind.ACCESSION: i18n.N_("accession"),
    ActionKind.RESERVATION: i18n.N_("reservation"),
    ActionKind.DECLARATION: i18n.N_("declaration"),
    ActionKind.NOTIFICATION: i18n.N_("notification"),
    ActionKind.OBJECTION: i18n.N_("objection"),
    ActionKind.RESERVATION_WITHDRAWAL: i18n.N_("withdrawal of a reservation"),
    ActionKind.DENUNCIATION: i18n.N_("denunciation"),
}
#: The timeline's headings, one per kind of action it lists.
TIMELINE_NAMES = {
    ActionKind.SIGNATURE: i18n.N_("Signed"),
    ActionKind.RATIFICATION: i18n.N_("Ratified"),
    ActionKind.ACCEPTANCE: i18n.N_("Accepted"),
    ActionKind.APPROVAL: i18n.N_("Approved"),
    ActionKind.ACCESSION: i18n.N_("Acceded"),
    ActionKind.DENUNCIATION: i18n.N_("Denounced"),
}
#: The UN regional groups as the page names them (the data's ids).
GROUP_NAMES = {
    "african": i18n.N_("African States"),
    "asia-pacific": i18n.N_("Asia-Pacific States"),
    "eastern-european": i18n.N_("Eastern European States"),
    "latin-american-caribbean": i18n.N_("Latin American and Caribbean States"),
    "western-european-other": i18n.N_("Western European and other States"),
    "not-listed": i18n.N_("Not listed"),
}
#: How a row's date is meant.
DATED_NAMES = {
    "on-or-before": i18n.N_("on or before"),
    "on-or-after": i18n.N_("on or after"),
}
CONFIDENCE_NAMES = {"confirmed": i18n.N_("confirmed"), "unconfirmed": i18n.N_("unconfirmed")}


@dataclass(frozen=True)
class NodeRecord:
    """The record a node's treaty page shows, and which one it is."""

    kind: RecordKind
    path: Path


def node_record(home: Path) -> NodeRecord:
    """Which depositary record the node in ``home`` shows: the one place that decides.

    1. the Secretariat's working copy, ``<home>/secretariat/treaty/record.yaml``, once
       ``hanoi treaty record`` has written it (the Secretariat's node);
    2. the record the Secretariat published with the directory, as this node's verified
       copy holds it (``hanoi directory refresh``; read back through ``LocalCopy``, which
       checks it against the signed targets again);
    3. the demo federation's fictional record on a demo node that has no signed copy: one
       whose own State (node.json) has a user-assigned code such as XA, or a Secretariat
       whose repository holds only such States;
    4. otherwise the record shipped with Hanoi (as ``hanoi treaty status`` from a fresh
       clone)."""
    copy = home / "secretariat" / "treaty" / "record.yaml"
    if copy.is_file():
        return NodeRecord("secretariat", copy)
    local = LocalCopy(home)
    if local.current.exists() and local.has_treaty_record():
        return NodeRecord("signed", local.file(f"targets/{TREATY_RECORD_PATH}"))
    if _demo_node(home):
        return NodeRecord("demo", DEMO_RECORD)
    return NodeRecord("shipped", SHIPPED_RECORD)


def _demo_node(home: Path) -> bool:
    if has_node(home):
        return is_user_assigned(read_node(home).state)
    folder = home / "secretariat"
    if not (folder / "repository").is_dir():
        return False
    try:
        codes = [s.code for s in SecretariatRepository(folder).states()]
    except (DirectoryError, OSError, ValueError):
        return False
    return bool(codes) and all(is_user_assigned(code) for code in codes)


@functools.lru_cache(maxsize=8)
def _load(path: Path, stamp: tuple[int, int]) -> TreatyRecord:
    """The record at ``path``, read again only when its size or time changes."""
    return load_record(path)


def _record(home: Path, chosen: NodeRecord, stamp: tuple[int, int]) -> TreatyRecord:
    if chosen.kind == "signed":
        return _load_signed(home, stamp)
    return _load(chosen.path, stamp)


@functools.lru_cache(maxsize=8)
def _load_signed(home: Path, stamp: tuple[int, int]) -> TreatyRecord:
    """The verified copy's record, checked against its signed targets (read again only
    when the file changes: a refresh replaces it)."""
    record = LocalCopy(home).treaty_record()
    if record is None:  # removed between choosing and reading: a refresh ran
        raise DirectoryCacheError("the directory's treaty record is gone; refresh again")
    return record


def node_report(home: Path, as_of: date | None) -> tuple[NodeRecord, TreatyReport]:
    """The record the node shows (``node_record``) reported on ``as_of`` (today, UTC, by
    default): what the page, its downloads and ``/api/v1/treaty/status`` say."""
    chosen = node_record(home)
    info = chosen.path.stat()
    record = _record(home, chosen, (info.st_mtime_ns, info.st_size))
    day = as_of or datetime.now(UTC).date()
    return chosen, treaty_report(record, day, regional_groups())


AsOf = Query(None, alias="as-of", description="The day to report on (default: today, UTC).")


@router.get("/treaty")
def treaty_page(
    request: Request, db: Db, settings: NodeSettings, as_of: date | None = AsOf
) -> Response:
    user = auth.current_user(request, db)
    chosen, report = node_report(settings.home, as_of)
    query = f"?as-of={as_of.isoformat()}" if as_of else ""
    return page(
        request,
        "treaty.html",
        {
            "user": user,
            "report": report,
            "record_kind": chosen.kind,
            "query": query,
            "action_name": action_name,
            "group_name": group_name,
            "confidence_name": confidence_name,
            "dated_name": dated_name,
            "state_label": StateLabels(
                DirectoryView(settings.home), {s.code: s.name for s in report.states}
            ),
            "timeline_name": timeline_name,
            "is_address": is_address,
        },
    )


@router.get("/treaty.json")
def treaty_json(settings: NodeSettings, as_of: date | None = AsOf) -> Response:
    chosen, report = node_report(settings.home, as_of)
    return JSONResponse({"record": chosen.kind, **report.as_json()})


@router.get("/treaty.csv")
def treaty_csv(settings: NodeSettings, as_of: date | None = AsOf) -> Response:
    _, report = node_report(settings.home, as_of)
    name = f"treaty-status-{report.as_of.isoformat()}.csv"
    return Response(
        report.csv_text().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


#: The SVG, opened alone or as an image, holds no script; its styles are inline.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@router.get("/treaty/progress.svg")
def treaty_progress_svg(
    request: Request, db: Db, settings: NodeSettings, as_of: date | None = AsOf
) -> Response:
    user = auth.current_user(request, db)
    lang = i18n.choose_language(request, user, settings.default_language)
    chosen = node_record(settings.home)
    info = chosen.path.stat()
    day = as_of or datetime.now(UTC).date()
    svg = _chart(settings.home, chosen, (info.st_mtime_ns, info.st_size), day, lang)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "Content-Language": lang,
            "Vary": "Accept-Language, Cookie",
            "Content-Security-Policy": SVG_CSP,
        },
    )


@functools.lru_cache(maxsize=32)
def _chart(home: Path, chosen: NodeRecord, stamp: tuple[int, int], day: date, lang: str) -> bytes:
    """The chart of the chosen record (as ``stamp`` says it is) on ``day`` in ``lang``:
    drawn once, then served again until the record, the day or the language changes."""
    report = treaty_report(_record(home, chosen, stamp), day, regional_groups())
    with i18n.speaking(lang):
        return progress_chart(report, lang)


def progress_chart(report: TreatyReport, lang: str) -> bytes:
    """The chart of ``report`` in ``lang`` (the active language while it is drawn)."""
    words = ChartWords(
        title=i18n.gettext("Progress toward the 40 instruments needed for entry into force"),
        instruments=i18n.gettext("Instruments counted (Art. 65(1))"),
        signatories=i18n.gettext("Signatories"),
        needed=i18n.gettext("40 instruments needed"),
        entry_into_force=i18n.gettext("Entry into force"),
        count=i18n.gettext("Number of States"),
    )
    return progress_svg(
        report.progress,
        needed=report.needed,
        words=words,
        lang=lang,
        day_label=_month,
        number_label=i18n.number,
        entry_into_force=report.status.entry_into_force.on,
    )


def _month(day: date) -> str:
    from babel.dates import format_skeleton

    return str(format_skeleton("yMMMd", day, locale=i18n.locale_of(i18n.active_language())))


# --- what the template calls (in the page's language) -----------------------------------------


def action_name(action: Action) -> str:
    """The row's action, and the article it names if any ("reservation, Art. 11(3)")."""
    name = i18n.gettext(ACTION_NAMES[action.kind])
    if action.article is None:
        return name
    provision = f"{action.article}({action.paragraph})" if action.paragraph else str(action.article)
    return i18n.gettext("%(action)s, Art. %(provision)s") % {"action": name, "provision": provision}


def timeline_name(kind: ActionKind) -> str:
    return i18n.gettext(TIMELINE_NAMES[kind])


def group_name(group: str | None) -> str:
    return i18n.gettext(GROUP_NAMES[group or "not-listed"])


def confidence_name(confidence: str) -> str:
    return i18n.gettext(CONFIDENCE_NAMES[confidence])


def dated_name(dated: str) -> str:
    return i18n.gettext(DATED_NAMES[dated]) if dated in DATED_NAMES else ""


def is_address(source: str) -> bool:
    return source.startswith("https://")


@dataclass(frozen=True)
class StateLabels:
    """States of the record named in the page's language (``state_name``: the node's
    directory, then the locale); one that neither names (a fictional demo State) by the
    record's own name."""

    directory: DirectoryView
    names: dict[str, str]

    def __call__(self, code: str) -> str:
        shown = state_name(code, directory=self.directory)
        return self.names.get(code, code) if shown == code else shown

    def listed(self, states: tuple[tuple[str, str], ...]) -> Markup:
        """The States of a timeline entry by name, listed the locale's way, each name
        isolated, one whose row is unconfirmed marked so."""
        unconfirmed = i18n.gettext("(%(note)s)") % {"note": i18n.gettext("unconfirmed")}
        names = []
        for code, confidence in sorted(states, key=lambda item: self(item[0])):
            mark = Markup(" <small>%s</small>") % unconfirmed if confidence == "unconfirmed" else ""
            names.append(Markup("<bdi>%s</bdi>%s") % (self(code), mark))
        # The locale's list of stand-ins, then each stand-in replaced by its name; the
        # words between (", ", " and ", "和") escaped by the join.
        marks = [f"\u0000{index}\u0000" for index in range(len(names))]
        rest = i18n.listed(marks)
        pieces: list[str] = []
        for mark, name in zip(marks, names, strict=True):
            before, rest = rest.split(mark, 1)
            pieces += [before, name]
        return Markup("").join([*pieces, rest])

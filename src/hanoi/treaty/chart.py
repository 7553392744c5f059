"""The progress toward the 40 instruments (Art. 65(1)) as an SVG chart, drawn by matplotlib.

Drawn on the server, with no JavaScript: one step line of the instruments counted toward
the 40, one of the signatories, the 40 marked across, and the day of entry into force if
the record gives one. The words come already translated (:class:`ChartWords`), and dates and
numbers are written by the caller's functions, so the chart speaks the page's language.

Text stays text in the SVG (``svg.fonttype: none``), so the browser shapes Arabic and lays
it right to left, and a report can search and copy it; the fonts asked for are Noto (Latin,
Cyrillic, Arabic, Chinese) with DejaVu Sans after them (Debian's fonts-noto-core,
fonts-noto-cjk and fonts-dejavu-core, installed by scripts/system-deps.sh). matplotlib's
settings are global, so one chart is drawn at a time.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from xml.sax.saxutils import escape

from hanoi.treaty.report import ProgressPoint

__all__ = ["ChartWords", "progress_svg"]

_LOCK = threading.Lock()
#: The fonts asked for, first the one of the language's own script.
_SCRIPT_FONTS = {"ar": ["Noto Naskh Arabic", "Noto Sans Arabic"], "zh": ["Noto Sans CJK SC"]}
_FONTS = ["Noto Sans", "Noto Naskh Arabic", "Noto Sans CJK SC", "DejaVu Sans"]
_INSTRUMENTS = "#1d4f91"  # dark blue
_SIGNATORIES = "#5f6368"  # grey
_NEEDED = "#a4262c"  # dark red
_IN_FORCE = "#1b6e3a"  # dark green


_EPOCH = date(1970, 1, 1)


def _day_number(day: date) -> float:
    return float((day - _EPOCH).days)


def _ticks(first: date, last: date, most: int = 6) -> list[date]:
    """The first days of months between ``first`` and ``last`` (both shown), thinned to at
    most ``most``; the two ends when they are under two months apart."""
    months = []
    day = date(first.year, first.month, 1)
    while day <= last:
        if day >= first:
            months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    if len(months) < 2:
        return [first, last] if first != last else [first]
    step = -(-len(months) // most)
    return months[::step]


@dataclass(frozen=True)
class ChartWords:
    """The chart's words, in the language it is drawn for."""

    title: str
    instruments: str
    signatories: str
    needed: str
    entry_into_force: str
    count: str


def progress_svg(
    points: Sequence[ProgressPoint],
    *,
    needed: int,
    words: ChartWords,
    lang: str,
    day_label: Callable[[date], str],
    number_label: Callable[[int], str],
    entry_into_force: date | None = None,
) -> bytes:
    """The chart as an SVG document. ``points`` have ``on``, ``signatories`` and
    ``instruments`` (the counts from that day on); ``day_label`` and ``number_label`` write
    the axes' dates and numbers; ``lang`` is said on the document (``xml:lang``)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    days = [p.on for p in points] or [date.today()]
    last = days[-1]
    shown_entry = entry_into_force if entry_into_force and entry_into_force <= last else None
    fonts = [
        *_SCRIPT_FONTS.get(lang, []),
        *(f for f in _FONTS if f not in _SCRIPT_FONTS.get(lang, [])),
    ]
    settings: Any = {
        "svg.fonttype": "none",
        "svg.hashsalt": "hanoi-treaty-progress",
        "font.family": fonts,
        "text.parse_math": False,
        "axes.unicode_minus": False,
    }
    with _LOCK, matplotlib.rc_context(settings):
        figure = Figure(figsize=(8, 3.8), layout="constrained")
        axes = figure.add_subplot()
        # A line needs two days: extend the last count to the day after, so a single day
        # still draws.
        spread = [*days, last + timedelta(days=1)] if len(days) == 1 else days
        xs = [_day_number(d) for d in spread]
        counts_i = [p.instruments for p in points] or [0]
        counts_s = [p.signatories for p in points] or [0]
        if len(days) == 1:
            counts_i, counts_s = counts_i * 2, counts_s * 2
        axes.step(
            xs, counts_i, where="post", color=_INSTRUMENTS, linewidth=2.2, label=words.instruments
        )
        axes.step(
            xs,
            counts_s,
            where="post",
            color=_SIGNATORIES,
            linewidth=1.4,
            linestyle="--",
            label=words.signatories,
        )
        axes.axhline(needed, color=_NEEDED, linewidth=1.2, linestyle=":", label=words.needed)
        if shown_entry is not None:
            axes.axvline(
                _day_number(shown_entry),
                color=_IN_FORCE,
                linewidth=1.2,
                linestyle="-.",
                label=words.entry_into_force,
            )
        axes.set_title(words.title, loc="center")
        axes.set_ylabel(words.count)
        axes.set_ylim(0, max(needed, *counts_s, *counts_i) * 1.12)
        axes.set_xlim(xs[0], xs[-1])
        axes.set_xticks([_day_number(d) for d in _ticks(spread[0], spread[-1])])
        axes.xaxis.set_major_formatter(
            FuncFormatter(lambda value, _: day_label(_EPOCH + timedelta(days=round(value))))
        )
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: number_label(int(value))))
        axes.grid(axis="y", color="#d0d0d0", linewidth=0.6)
        figure.legend(loc="outside lower center", ncols=4, fontsize="small", frameon=False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": words.title})
    text = buffer.getvalue().decode("utf-8")
    # Said in its language, and titled for whoever reads it without seeing it.
    start = text.index("<svg ")
    end = text.index(">", start)
    opening = text[start:end].replace("<svg ", f'<svg xml:lang="{escape(lang)}" ', 1)
    text = f"{text[:start]}{opening}>\n <title>{escape(words.title)}</title>{text[end + 1 :]}"
    return text.encode("utf-8")

"""Accessibility of the page Chromium shows now, checked by axe-core.

axe-core comes bundled in the ``axe-playwright-python`` package (a test extra), so nothing is
fetched at run time; its script is evaluated through the DevTools protocol, which the pages'
Content-Security-Policy does not govern, so the policy stays as strict as it is served.

Every rule axe-core runs by default is applied (WCAG A and AA, plus its best practices);
a page fails on a violation of serious or critical impact, the ones that stop a screen
reader or keyboard user or make text unreadable. Minor and moderate findings are returned,
not raised, so a test may look at them without the suite depending on them.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

#: The impacts that fail a page.
BLOCKING = frozenset({"serious", "critical"})

_AXE = Axe()


def violations(page: Page) -> list[dict[str, Any]]:
    """Every violation axe-core finds on the page as it is now, of any impact."""
    found = _AXE.run(page, options={"resultTypes": ["violations"]}).response["violations"]
    return list(found)


def describe(found: list[dict[str, Any]]) -> list[str]:
    """One line per element at fault: rule, impact, CSS selector(s), what is wrong."""
    lines = []
    for violation in found:
        for node in violation["nodes"]:
            targets = " | ".join(" ".join(t) if isinstance(t, list) else t for t in node["target"])
            summary = (node.get("failureSummary") or violation["help"]).replace("\n", " ")
            lines.append(f"{violation['id']} ({violation['impact']}) at {targets}: {summary}")
    return lines


def assert_accessible(page: Page) -> list[dict[str, Any]]:
    """Fail, listing each, if axe-core finds a serious or critical violation on the page.

    Returns the lesser violations, which do not fail the page."""
    found = violations(page)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    if blocking:
        listed = "\n  ".join(describe(blocking))
        raise AssertionError(f"accessibility violations on {page.url}:\n  {listed}")
    return [v for v in found if v["impact"] not in BLOCKING]

"""XB's duty officer keeps the 24/7 console open on a phone: signing in lands there, the
queue reads without sideways scrolling at 375 px, and a request XA sends while the page is
open appears, and is announced, without a reload; in the page's language too."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from hanoi.db.base import utcnow
from hanoi.demo import DEMO_PASSWORD
from hanoi.demo.scenario import example_document
from tests.federation import Running
from tests.i18n.scan import english_left
from tests.web.test_request_pages import send
from tests.web.test_request_pages_languages import wording_of

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
#: The console polls every 15 s; the page's clock is moved on past one poll.
POLL_MS = 15_000


@pytest.fixture
def backend() -> str:
    """SQLite only: the console's rows are the same on both engines
    (tests/web/test_request_pages.py reads them on both)."""
    return "sqlite"


def scrolls_sideways(page: Page) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


def test_console_on_a_phone_shows_new_requests(browser: Browser, running: Running) -> None:
    document = example_document("preservation", date_of_request=utcnow().date().isoformat())
    first = send(running, "XA", "duty", document)
    base = running.federation.nodes["XB"].url

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.clock.install()  # the test moves time on instead of waiting 15 s
        page.goto(f"{base}/sign-in")
        page.get_by_label("User name").fill("duty")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("24/7 console")
        queue = page.get_by_role("table", name="Queue")
        expect(queue.get_by_role("row", name=first)).to_contain_text("Acknowledge receipt")
        expect(page.get_by_text("this page refreshes itself every 15 seconds")).to_be_visible()
        assert not scrolls_sideways(page), "the console scrolls sideways at 375 px"

        second = send(running, "XA", "duty", document)
        expect(queue.get_by_role("row", name=second)).to_have_count(0)
        page.clock.run_for(POLL_MS + 1_000)

        expect(queue.get_by_role("row", name=second)).to_contain_text("Acknowledge receipt")
        expect(queue.get_by_role("link", name=f"Act on {second}")).to_be_visible()
        expect(page.locator("#console-news")).to_contain_text(
            f"New urgent request {second} from XA"
        )
        expect(page.locator("#console-count")).to_have_text("2")
        assert not scrolls_sideways(page), "the redrawn console scrolls sideways at 375 px"

        # The redrawn row leads where the page's own does.
        queue.get_by_role("link", name=f"Act on {second}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {second}")
    finally:
        context.close()


def test_the_console_redraws_itself_in_the_pages_language(
    browser: Browser, running: Running
) -> None:
    """In Arabic, the rows the script draws speak Arabic like the page's own: the deadline,
    status and actions as the node words them, the script's words from the page."""
    document = example_document("preservation", date_of_request=utcnow().date().isoformat())
    first = send(running, "XA", "duty", document)
    base = running.federation.nodes["XB"].url

    context = browser.new_context(extra_http_headers={"Accept-Language": "ar"})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.clock.install()
        page.goto(f"{base}/sign-in")
        page.locator("#username").fill("duty")
        page.locator("#password").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        queue = page.locator("#console-queue")
        expect(queue.locator(f'tr[data-reference="{first}"]')).to_contain_text("الإقرار بالاستلام")

        second = send(running, "XA", "duty", document)
        page.clock.run_for(POLL_MS + 1_000)
        drawn = queue.locator(f'tr[data-reference="{second}"]')
        expect(drawn).to_contain_text("الإقرار بالاستلام")  # Acknowledge receipt
        expect(drawn).to_contain_text("وارد")  # received
        expect(drawn.get_by_role("link", name=f"اتخاذ إجراء بشأن {second}")).to_be_visible()
        expect(drawn.locator("td").first).to_have_attribute("data-label", "المهلة التالية")
        expect(page.locator("#console-news")).to_contain_text(f"طلب عاجل جديد {second} من XA")
        expect(page.locator("#console-count")).to_have_text("2")
        expect(queue.locator("caption")).to_contain_text("قائمة الانتظار")
        assert english_left(wording_of(page.content()), "ar") == []
    finally:
        context.close()

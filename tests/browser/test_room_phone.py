"""On a small phone (360×640) the primary control of every step is on screen without scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PLAN
from tests.browser.test_interview import button

SMALL_PHONE = {"width": 360, "height": 640}
# Long prep times, so each step stays on screen until the test moves on by itself.
SLOW_PLAN = [dict(PLAN[0], prep_seconds=60), dict(PLAN[1], prep_seconds=60), PLAN[2]]


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(viewport=SMALL_PHONE, permissions=["camera", "microphone"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def assert_in_first_screen(control: Locator) -> None:
    """The control lies inside the viewport as the page first shows it, scrolled to the top."""
    expect(control).to_be_visible()
    control.page.evaluate("scrollTo(0, 0)")
    box = control.evaluate("""e => { const r = e.getBoundingClientRect();
        return { top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left + scrollX,
                 right: r.right + scrollX, width: innerWidth, height: innerHeight }; }""")
    name = control.evaluate("e => e.textContent.trim() || e.getAttribute('aria-label')")
    assert box["top"] >= 0 and box["left"] >= 0, name
    assert box["bottom"] <= box["height"] and box["right"] <= box["width"], (name, box)


def record_briefly(page: Page) -> None:
    assert_in_first_screen(button(page, "Start recording"))
    button(page, "Start recording").click()
    assert_in_first_screen(button(page, "Stop recording"))
    page.wait_for_timeout(1200)
    button(page, "Stop recording").click()
    expect(page.get_by_label("Your recorded answer")).to_be_visible()


def test_every_steps_primary_control_is_on_the_first_screen(live, small_phone):
    page = small_phone
    page.goto(live.invite(SLOW_PLAN))
    assert_in_first_screen(button(page, "Start"))
    page.get_by_label("I agree").check()
    button(page, "Start").click()

    expect(button(page, "My camera and microphone work")).to_be_enabled()
    assert_in_first_screen(button(page, "My camera and microphone work"))
    button(page, "My camera and microphone work").click()

    expect(page.get_by_text("Practice question")).to_be_visible()
    record_briefly(page)
    assert_in_first_screen(button(page, "Next question"))
    button(page, "Next question").click()

    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    record_briefly(page)
    assert_in_first_screen(button(page, "Submit answer"))
    button(page, "Submit answer").click()
    expect(page.get_by_role("status").filter(has_text="Answer saved.")).to_be_visible()
    assert_in_first_screen(button(page, "Next question"))
    button(page, "Next question").click()

    page.get_by_label("Your answer").fill("Because I like building things people rely on.")
    assert_in_first_screen(button(page, "Submit answer"))
    button(page, "Submit answer").click()
    assert_in_first_screen(button(page, "Finish"))
    button(page, "Finish").click()
    expect(page.get_by_role("heading", name="Thank you, Giuseppe Hurley")).to_be_visible()

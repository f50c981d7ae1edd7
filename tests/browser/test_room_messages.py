"""What the room says, and where focus goes, stays tidy from one step to the next."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PLAN
from tests.browser.test_interview import button, record_for

NO_PRACTICE = [PLAN[1], PLAN[2]]


def outline_of_focused(page) -> str:
    return page.evaluate("getComputedStyle(document.activeElement).outlineStyle")


def test_a_focused_heading_draws_no_box_while_keyboard_focus_stays_visible(live, phone):
    phone.goto(live.invite(NO_PRACTICE))
    phone.get_by_label("I agree").check()
    button(phone, "Start").click()

    heading = phone.get_by_role("heading", name="Check your camera and microphone")
    expect(heading).to_be_focused()  # so screen readers start at the step's title
    assert outline_of_focused(phone) == "none"
    expect(button(phone, "My camera and microphone work")).to_be_enabled()
    phone.keyboard.press("Tab")
    expect(button(phone, "My camera and microphone work")).to_be_focused()
    assert outline_of_focused(phone) == "solid"


def test_answer_saved_is_said_once_and_no_retake_is_offered_after_it(live, phone):
    phone.goto(live.invite(NO_PRACTICE))
    phone.get_by_label("I agree").check()
    button(phone, "Start").click()
    button(phone, "My camera and microphone work").click()

    expect(phone.get_by_text("1 retake left.")).to_be_visible()
    record_for(phone, 1.5)
    button(phone, "Submit answer").click()
    expect(phone.get_by_text("Answer saved.")).to_have_count(1)
    expect(phone.get_by_text("Answer saved.")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"retakes? left"))).to_be_hidden()

    button(phone, "Next question").click()
    expect(phone.get_by_text("Question 2 of 2")).to_be_visible()
    expect(phone.get_by_text("Answer saved.")).to_be_hidden()

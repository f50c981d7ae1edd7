"""A failed request never leaves the room frozen: safe calls are retried, then the candidate is
told what to do, with a button that works."""

from __future__ import annotations

import hashlib

from playwright.sync_api import Page, Route, expect

from connector.models import AnswerStatus
from tests.browser.conftest import PLAN
from tests.browser.test_interview import agree_and_enter, button, stated, stored

ONE_VIDEO = [PLAN[1]]  # no practice: straight to the question whose calls are made to fail
STOP = "**/api/answers/1/takes/*/stop"


def failing(times: int | None, status: int = 500, body: str = "{}"):
    """A route handler that answers `status` the first `times` calls (always when None)."""
    seen = []

    def handle(route: Route) -> None:
        seen.append(route.request.url)
        if times is None or len(seen) <= times:
            route.fulfill(status=status, content_type="application/json", body=body)
        else:
            route.continue_()

    handle.seen = seen
    return handle


def patience(page: Page) -> float:
    """How long to wait for a call to be given up: the room's stated bound on its waits between
    attempts, and twice that again for the attempts themselves on a busy machine."""
    return 3 * stated(page, "api.js", "GIVE_UP_AFTER_MS")


def stop_recording(page: Page) -> None:
    expect(button(page, "Stop recording")).to_be_visible()
    page.wait_for_timeout(1500)
    button(page, "Stop recording").click()


def submit_and_check(live, page: Page) -> None:
    button(page, "Submit answer").click()
    expect(page.get_by_role("status").filter(has_text="Answer saved.")).to_be_visible()
    (answer,) = live.interview().answers
    assert answer.status is AnswerStatus.SUBMITTED
    assert hashlib.sha256(stored(live, answer)).hexdigest() == answer.sha256


def test_a_stop_that_fails_a_few_times_is_retried_and_the_candidate_moves_on(live, phone):
    agree_and_enter(phone, live.invite(ONE_VIDEO))
    handler = failing(2)
    phone.route(STOP, handler)
    stop_recording(phone)

    expect(phone.get_by_label("Your recorded answer")).to_be_visible(timeout=patience(phone))
    expect(button(phone, "Try again")).to_be_hidden()
    assert len(handler.seen) == 3
    submit_and_check(live, phone)


def test_a_stop_that_keeps_failing_says_so_and_its_button_recovers(live, phone):
    agree_and_enter(phone, live.invite(ONE_VIDEO))
    handler = failing(None)
    phone.route(STOP, handler)
    stop_recording(phone)

    expect(button(phone, "Stopping…")).to_be_disabled()  # busy, and saying so
    expect(phone.get_by_role("alert")).to_contain_text("Try again", timeout=patience(phone))
    expect(button(phone, "Stop recording")).to_be_hidden()  # no control left that does nothing
    expect(button(phone, "Reload the interview")).to_be_visible()
    attempts = len(handler.seen)
    assert attempts > 1
    phone.unroute(STOP)
    button(phone, "Try again").click()

    expect(phone.get_by_label("Your recorded answer")).to_be_visible()
    expect(button(phone, "Try again")).to_be_hidden()
    submit_and_check(live, phone)


def test_a_refusal_offers_to_reload_and_the_reload_resumes(live, phone):
    agree_and_enter(phone, live.invite(ONE_VIDEO))
    submit = "**/api/answers/1/takes/*/submit"
    phone.route(submit, failing(None, 409, '{"error": "stale_take", "detail": ""}'))
    stop_recording(phone)
    button(phone, "Submit answer").click()

    expect(phone.get_by_role("alert")).to_contain_text("Reload the interview")
    expect(button(phone, "Try again")).to_be_hidden()  # the same call would be refused again
    expect(button(phone, "Submit answer")).to_be_hidden()
    phone.unroute(submit)
    button(phone, "Reload the interview").click()

    button(phone, "My camera and microphone work").click()
    expect(phone.get_by_text("Your answer is ready to submit")).to_be_visible()
    submit_and_check(live, phone)


def test_a_room_that_cannot_load_its_state_offers_to_try_again(live, phone):
    link = live.invite(ONE_VIDEO)
    phone.route("**/api/state", lambda route: route.abort("internetdisconnected"))
    agree_and_enter_without_device_check(phone, link)

    expect(phone.get_by_role("alert")).to_contain_text("connection", timeout=patience(phone))
    phone.unroute("**/api/state")
    button(phone, "Try again").click()
    expect(button(phone, "My camera and microphone work")).to_be_enabled()


def agree_and_enter_without_device_check(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_label("I agree").check()
    button(page, "Start").click()


def test_a_written_answer_whose_reply_is_lost_is_sent_again_and_kept_once(live, phone):
    plan = [PLAN[2]]
    link = live.invite(plan)
    text = "**/api/answers/2/text"
    lost = []

    def lose_the_reply(route: Route) -> None:
        route.fetch()  # the server saves the answer ...
        lost.append(route.request.url)
        route.abort("connectionreset")  # ... but its reply never arrives

    phone.route(text, lambda route: lose_the_reply(route) if not lost else route.continue_())
    agree_and_enter_without_device_check(phone, link)
    phone.get_by_label("Your answer").fill("Because I like building things people rely on.")
    button(phone, "Submit answer").click()

    saved = phone.get_by_role("status").filter(has_text="Answer saved.")
    expect(saved).to_be_visible(timeout=patience(phone))
    assert len(lost) == 1
    (answer,) = live.interview().answers
    assert answer.status is AnswerStatus.SUBMITTED
    assert answer.text == "Because I like building things people rely on."

"""A candidate takes the interview in real headless Chromium, with a fake camera and microphone."""

from __future__ import annotations

import hashlib

from playwright.sync_api import Page, expect

from connector.models import AnswerStatus, InterviewState
from tests.browser.conftest import PHONE, PLAN

EBML = b"\x1a\x45\xdf\xa3"


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def agree_and_enter(page: Page, link: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome, Giuseppe Hurley")).to_be_visible()
    page.get_by_label("I agree").check()
    button(page, "Start").click()
    expect(page.get_by_role("heading", name="Check your camera and microphone")).to_be_visible()
    button(page, "My camera and microphone work").click()


def record_for(page: Page, seconds: float) -> None:
    """Wait out the prep countdown, record for a while, and stop."""
    expect(button(page, "Stop recording")).to_be_visible()
    page.wait_for_timeout(seconds * 1000)
    button(page, "Stop recording").click()
    expect(page.get_by_label("Your recorded answer")).to_be_visible()


def stated(page: Page, module: str, name: str) -> float:
    """A bound the room's own code states, read from its module in the page."""
    # Asked right after a click that leads into the room, the page may still be on its way there.
    page.wait_for_selector('script[src$="/room.js"]', state="attached")
    return page.evaluate("""async ([module, name]) => {
        const room = document.querySelector('script[src$="/room.js"]').src;
        return (await import(new URL(module, room)))[name]; }""", [module, name])


def retry_bound_ms(page: Page) -> float:
    """The longest the uploader waits between two attempts."""
    return stated(page, "uploader.js", "MAX_DELAY_MS")


def stored(live, answer) -> bytes:
    return b"".join(live.services.storage.read(answer.storage_key))


def test_a_whole_interview_with_one_retake(live, phone):
    agree_and_enter(phone, live.invite())

    expect(phone.get_by_text("Practice question: nobody else sees this answer")).to_be_visible()
    record_for(phone, 1.5)
    button(phone, "Next question").click()

    expect(phone.get_by_text("Question 1 of 2")).to_be_visible()
    expect(phone.get_by_text("1 retake left.")).to_be_visible()
    record_for(phone, 1.5)
    button(phone, "Retake").click()
    record_for(phone, 2.5)
    expect(phone.get_by_text("0 retakes left.")).to_be_visible()
    expect(button(phone, "Retake")).to_be_hidden()
    button(phone, "Submit answer").click()
    expect(phone.get_by_role("status").filter(has_text="Answer saved.").first).to_be_visible()
    button(phone, "Next question").click()

    expect(phone.get_by_text("Question 2 of 2")).to_be_visible()
    phone.get_by_label("Your answer").fill("Because I like building things people rely on.")
    button(phone, "Submit answer").click()
    button(phone, "Finish").click()
    expect(phone.get_by_role("heading", name="Thank you, Giuseppe Hurley")).to_be_visible()

    interview = live.interview()
    assert interview.state is InterviewState.COMPLETED
    video, text = sorted(interview.answers, key=lambda a: a.position)
    assert (video.status, video.take, video.retakes_used) == (AnswerStatus.SUBMITTED, 2, 1)
    data = stored(live, video)
    assert data[:4] == EBML and len(data) == video.size_bytes > 10_000
    assert hashlib.sha256(data).hexdigest() == video.sha256
    assert text.text == "Because I like building things people rely on."
    assert [a.position for a in interview.answers] == [1, 2]  # the practice answer stayed local
    (completed,) = [n for n in live.greenhouse.notes if "completed" in n["body"]]
    assert completed["candidate_id"] == 265772
    assert f"Watch and review all answers:\n{live.base_url}/review/shared/" in completed["body"]
    assert "Answer 1:\n" in completed["body"] and "#answer-2" in completed["body"]


def test_an_audio_question_records_sound_only(live, phone):
    plan = [dict(PLAN[1], position=1, kind="audio", retakes=0,
                 prompt="Describe your ideal team, out loud.")]
    agree_and_enter(phone, live.invite(plan))

    expect(phone.get_by_text("Describe your ideal team, out loud.")).to_be_visible()
    record_for(phone, 1.5)
    button(phone, "Submit answer").click()
    expect(phone.get_by_role("status").filter(has_text="Answer saved.").first).to_be_visible()
    button(phone, "Finish").click()
    expect(phone.get_by_role("heading", name="Thank you, Giuseppe Hurley")).to_be_visible()

    (answer,) = live.interview().answers
    assert answer.status is AnswerStatus.SUBMITTED and answer.kind.value == "audio"
    assert answer.mime_type.startswith("audio/")  # no video track was recorded
    data = stored(live, answer)
    assert data[:4] == EBML and hashlib.sha256(data).hexdigest() == answer.sha256


def test_a_reload_in_the_middle_of_a_question_resumes_it(live, phone):
    agree_and_enter(phone, live.invite())
    record_for(phone, 1.2)  # the practice question
    button(phone, "Next question").click()
    expect(button(phone, "Stop recording")).to_be_visible()
    phone.wait_for_timeout(3000)  # recording, chunks going up as they come
    phone.reload()

    button(phone, "My camera and microphone work").click()
    expect(phone.get_by_text("Question 1 of 2")).to_be_visible()
    expect(phone.get_by_text("Your recording was interrupted")).to_contain_text(
        "or record again without using a retake.")  # the server's one free restart
    button(phone, "Submit answer").click()
    expect(phone.get_by_role("status").filter(has_text="Answer saved.").first).to_be_visible()

    (answer,) = live.interview().answers
    assert (answer.status, answer.take, answer.retakes_used) == (AnswerStatus.SUBMITTED, 1, 0)
    data = stored(live, answer)
    assert data[:4] == EBML and hashlib.sha256(data).hexdigest() == answer.sha256


def test_an_upload_cut_off_for_a_while_still_completes(live, phone):
    agree_and_enter(phone, live.invite())
    record_for(phone, 1.2)
    button(phone, "Next question").click()
    dropped = []

    def drop(route):
        dropped.append(route.request.url)
        route.abort("internetdisconnected")

    phone.route("**/chunks/**", drop)
    record_for(phone, 2.5)
    button(phone, "Submit answer").click()
    expect(phone.get_by_text("still to send")).to_be_visible()
    phone.wait_for_timeout(2000)
    phone.unroute("**/chunks/**")
    # The uploader's next attempt comes within its stated bound; the chunks still queued and the
    # submit then get twice that bound again, as each may meet one more slow turn on a busy machine.
    cap = retry_bound_ms(phone)
    saved = phone.get_by_role("status").filter(has_text="Answer saved.")
    expect(saved).to_be_visible(timeout=cap + 2 * cap)

    assert len(dropped) >= 2
    (answer,) = live.interview().answers
    assert answer.status is AnswerStatus.SUBMITTED
    assert hashlib.sha256(stored(live, answer)).hexdigest() == answer.sha256


def test_an_expired_link_says_the_interview_has_closed(live, phone):
    from datetime import timedelta

    from sqlalchemy import select

    from connector.models import Interview, utcnow

    link = live.invite()
    with live.services.db.session() as session:
        session.scalars(select(Interview)).one().deadline_at = utcnow() - timedelta(hours=1)
    response = phone.goto(link)
    assert response.status == 410
    expect(phone.get_by_role("heading", name="This interview has closed")).to_be_visible()


def test_a_second_tab_is_refused(live, phone):
    agree_and_enter(phone, live.invite())
    record_for(phone, 1.2)
    button(phone, "Next question").click()
    expect(button(phone, "Stop recording")).to_be_visible()

    second = phone.context.new_page()
    second.goto(phone.url)
    button(second, "My camera and microphone work").click()
    expect(second.get_by_role("heading", name="This interview is open in another tab")).to_be_visible()
    expect(button(phone, "Stop recording")).to_be_visible()  # the first tab carries on


def test_an_in_app_browser_is_told_to_open_safari_or_chrome(live, browser):
    link = live.invite()
    context = browser.new_context(viewport=PHONE, user_agent=(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.40.92"))
    page = context.new_page()
    agree = page.goto(link)
    assert agree.status == 200
    page.get_by_label("I agree").check()
    button(page, "Start").click()
    expect(page.get_by_role("heading", name="Open this link in Safari or Chrome")).to_be_visible()
    expect(button(page, "Copy link")).to_be_visible()
    assert page.get_by_label("Your interview link").input_value() == link
    context.close()


def test_a_blocked_camera_gets_clear_guidance(live, playwright):
    from tests.browser.conftest import launch

    link = live.invite()
    # Without the fake permission prompt, headless Chromium refuses the camera as a user would.
    refusing = launch(playwright, "--use-fake-device-for-media-stream")
    context = refusing.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(link)
    page.get_by_label("I agree").check()
    button(page, "Start").click()
    expect(page.get_by_role("heading", name="Allow the camera and microphone")).to_be_visible()
    expect(page.get_by_text("allow the camera and microphone, then reload")).to_be_visible()
    refusing.close()


def test_a_machine_without_a_camera_gets_clear_guidance(live, playwright):
    from tests.browser.conftest import launch

    link = live.invite()
    # Permission granted, but no fake devices: headless Chromium then has no camera at all.
    bare = launch(playwright, "--use-fake-ui-for-media-stream")
    context = bare.new_context(viewport=PHONE, permissions=["camera", "microphone"])
    page = context.new_page()
    page.goto(link)
    page.get_by_label("I agree").check()
    button(page, "Start").click()
    expect(page.get_by_role("heading", name="No camera or microphone found")).to_be_visible()
    expect(page.get_by_text("open this link on your phone")).to_be_visible()
    bare.close()


def test_the_room_fits_a_phone_and_works_from_the_keyboard(live, phone):
    phone.goto(live.invite())
    phone.keyboard.press("Tab")  # the skip link
    phone.get_by_label("I agree").focus()
    phone.keyboard.press("Space")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")  # Start
    expect(button(phone, "My camera and microphone work")).to_be_enabled()
    button(phone, "My camera and microphone work").focus()
    phone.keyboard.press("Enter")
    expect(button(phone, "Stop recording")).to_be_visible()
    button(phone, "Stop recording").focus()
    phone.keyboard.press("Enter")
    expect(button(phone, "Next question")).to_be_visible()
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"]
    for name in ("Retake", "Next question"):
        box = button(phone, name).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44  # large touch targets
    assert phone.locator("#q-timer[role=timer]").count() == 1
    assert phone.locator("#q-status[aria-live=polite]").count() == 1

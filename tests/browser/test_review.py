"""Reviewers in real headless Chromium: sign in, watch, score, submit; a second reviewer; a
share link that only watches; an invited reviewer who scores; an expired share link refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from connector import accounts
from connector.models import Interview, utcnow
from connector.review import invitations
from tests.browser.conftest import PHONE
from tests.candidate.conftest import Candidate, WEBM, csrf_token

PASSWORD = "correct horse battery staple"


@pytest.fixture
def completed(live, monkeypatch, tmp_path):
    """A finished interview whose video answer is a real WebM clip, as Chromium recorded it."""
    import shutil
    import subprocess

    ffmpeg = shutil.which("ffmpeg")
    clip = WEBM + b"\x00" * 100
    if ffmpeg:
        out = tmp_path / "clip.webm"
        subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        "testsrc=duration=2:size=320x240:rate=15", "-c:v", "libvpx", str(out)],
                       check=True)
        clip = out.read_bytes()
    monkeypatch.setattr("jobs.media.shutil.which", lambda name: None)  # serve the WebM itself
    link = live.invite()
    token = link.rsplit("/", 1)[1]
    client = live.app.test_client()
    client.post(f"/interview/{token}/consent",
                data={"agree": "yes", "csrf_token": csrf_token(client, f"/interview/{token}")})
    candidate = Candidate(client, token)
    assert candidate.record(1, [clip]).status_code == 200
    assert candidate.post("/answers/2/text", {"text": "I like hard problems."}).status_code == 200
    assert candidate.post("/finish").status_code == 200
    with live.services.db.session() as db:
        for email, name in (("ana@acme.example", "Ana"), ("bo@acme.example", "Bo")):
            accounts.create_user(db, "Acme", email, PASSWORD, "reviewer", name=name)
        return db.scalars(select(Interview)).one().public_id


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Giuseppe Hurley")).to_be_visible()


def score(page: Page, ratings=(4, 5, 3), recommendation="Yes") -> None:
    for index, value in enumerate(ratings):
        page.locator(f'input[name="competency-{index}"][value="{value}"]').check()
    page.get_by_label(recommendation, exact=True).check()
    page.get_by_label("Comments").fill("Concrete examples.")
    page.get_by_role("button", name="Submit scores").click()


def test_reviewers_watch_score_and_share(live, browser, completed):
    url = f"{live.base_url}/review/sessions/{completed}"
    ana = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(ana, url, "ana@acme.example")

    video = ana.get_by_label("Answer to question 1")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    for _ in range(50):  # (wait_for_function would need 'unsafe-eval', which the CSP forbids)
        if video.evaluate("v => v.currentTime") > 0.2:
            break
        ana.wait_for_timeout(100)
    assert video.evaluate("v => v.currentTime") > 0.2
    ana.locator("#answer-1").get_by_role("button", name="2×").click()
    assert video.evaluate("v => v.playbackRate") == 2
    expect(ana.locator("#answer-1").get_by_role("button", name="2×")).to_have_attribute(
        "aria-pressed", "true")
    ana.locator("#answer-1").focus()
    ana.keyboard.press("j")
    expect(ana.locator("#answer-2")).to_be_focused()
    expect(ana.get_by_text("I like hard problems.")).to_be_visible()

    score(ana)
    expect(ana.get_by_text("1 reviewer: Ana.")).to_be_visible()

    bo = browser.new_context(viewport=PHONE).new_page()
    sign_in(bo, url, "bo@acme.example")
    expect(bo.get_by_text("Other reviewers' scores appear here after you submit yours.")) \
        .to_be_visible()
    score(bo, ratings=(2, 3, 4), recommendation="Strong yes")
    expect(bo.get_by_text("2 reviewers: Ana, Bo.")).to_be_visible()
    expect(bo.locator(".summary .overall td")).to_have_text("3.5")

    with live.services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        _, token = accounts.create_share_link(db, live.services.keyring, interview,
                                              can_score=False, days=7)
        expired, old = accounts.create_share_link(db, live.services.keyring, interview,
                                                  can_score=False, days=7)
        expired.expires_at = utcnow() - timedelta(minutes=1)
        invitation, _ = invitations.invite(db, live.services.keyring, interview,
                                           "dana@partner.example", "Dana", live.base_url)
        personal = live.services.keyring.decrypt(invitation.token_encrypted)
    watcher = browser.new_context(viewport=PHONE).new_page()
    watcher.goto(accounts.share_link_url(live.base_url, token))
    expect(watcher.get_by_text("2 reviewers: Ana, Bo.")).to_be_visible()
    expect(watcher.get_by_role("button", name="Submit scores")).to_have_count(0)

    guest = browser.new_context(viewport=PHONE).new_page()
    guest.goto(accounts.share_link_url(live.base_url, personal))
    expect(guest.get_by_text("Scoring as Dana.")).to_be_visible()
    score(guest, ratings=(5, 5, 5), recommendation="Strong yes")
    expect(guest.get_by_text("3 reviewers: Ana, Bo, Dana.")).to_be_visible()

    refused = guest.goto(accounts.share_link_url(live.base_url, old))
    assert refused.status == 404

    notes = [n["body"] for n in live.greenhouse.notes if "scores for" in n["body"]]
    assert len(notes) == 3 and "Reviewed by Ana, Bo and Dana." in notes[-1]

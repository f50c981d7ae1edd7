"""The uploader on its own, in Chromium, under Playwright's fake clock: it tries again as soon as
the browser is back online, and never waits longer than its stated bound between attempts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

# A page of the interview's origin whose network always fails, as seen by one Uploader.
HARNESS = """async () => {
  const { Uploader, MAX_DELAY_MS } = await import("/static/interview/uploader.js");
  const attempts = [];
  const offline = () => { attempts.push(1); return Promise.reject(new TypeError("offline")); };
  const uploader = new Uploader({ chunk: offline }, "harness", () => {}, () => {});
  window.harness = { attempts, cap: MAX_DELAY_MS, uploader };
  await uploader.add(1, 1, 0, new Blob(["x"]), { persist: false });
}"""
# Lets promise callbacks and real (unfaked) tasks run: MessageChannel is not on the fake clock.
SETTLE = """async () => {
  const task = () => new Promise((r) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = r;
    channel.port2.postMessage(0);
  });
  for (let i = 0; i < 10; i++) await task();
  return window.harness.attempts.length;
}"""


@pytest.fixture
def harness(live, phone) -> Page:
    phone.clock.install()
    phone.goto(live.invite())  # the welcome page: same origin and CSRF token, no room running
    phone.evaluate(HARNESS)
    return phone


def attempts(page: Page) -> int:
    return page.evaluate(SETTLE)


def test_the_uploader_tries_again_as_soon_as_the_browser_is_back_online(harness):
    assert attempts(harness) == 1  # the first attempt failed; it waits on a clock standing still
    assert attempts(harness) == 1
    harness.evaluate("window.dispatchEvent(new Event('online'))")
    assert attempts(harness) == 2


def test_the_uploader_never_waits_longer_than_its_stated_bound(harness):
    cap = harness.evaluate("window.harness.cap")
    assert 0 < cap <= 10_000
    seen = attempts(harness)
    for _ in range(12):  # long enough for the doubling backoff to reach its cap and stay there
        harness.clock.run_for(cap)
        now = attempts(harness)
        assert now > seen
        seen = now

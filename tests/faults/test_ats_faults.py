"""The ATS fails with 500s, some after writing the note, then rate-limits with 429s.

Each push is tried again after its backoff (at most BACKOFF_BASE_SECONDS for a first retry)
or after the Retry-After a 429 asked for; a retry first looks for the note an earlier try may
have written, so each candidate gets one note.
"""

from __future__ import annotations

import time

from jobs.claims import BACKOFF_BASE_SECONDS
from tests.faults.ats import RETRY_AFTER
from tests.faults.processes import wait_for
from tests.faults.stack import CANDIDATE

SCRIPTS = (("500",), ("500-written",), ("500", "429"), ("500-written", "429", "429"))
# A timed retry runs up to 2 s after it is due: rq keeps whole seconds, its scheduler looks
# once a second. The longest script has three retries; the pushes themselves take the rest.
LATE_SECONDS, RUN_SECONDS = 2, 2


def test_failing_and_throttling_ats_gets_each_note_once(stack):
    events = stack.new_events(len(SCRIPTS))
    for n, script in zip(events, SCRIPTS):
        stack.ats.script(CANDIDATE + n, *script)
    started = time.monotonic()
    assert stack.post_all(events) == [200] * len(events)

    bound = BACKOFF_BASE_SECONDS + 2 * RETRY_AFTER + 3 * LATE_SECONDS + RUN_SECONDS
    wait_for(lambda: stack.done(events), bound, "every note despite the ATS", every=0.5)
    print(f"\nATS 500s then 429s: every note in {time.monotonic() - started:.1f} s "
          f"(bound {bound} s)")
    stack.assert_once(events)
    assert stack.ats.seen["500"] == 2 and stack.ats.seen["500-written"] == 2
    assert stack.ats.seen["429"] == 3

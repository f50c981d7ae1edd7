"""The ATS fails with 500s, some after writing the note, then rate-limits with 429s.

Each push is tried again after its backoff (at most BACKOFF_BASE_SECONDS for a first retry)
or after the Retry-After a 429 asked for; a retry first looks for the note an earlier try may
have written, so each candidate gets one note.
"""

from __future__ import annotations

from tests.faults import scenarios


def test_failing_and_throttling_ats_gets_each_note_once(stack):
    seen = dict(stack.ats.seen)
    recovery = scenarios.failing_ats(stack)
    print(f"\n{recovery.fault}: every note in {recovery.seconds:.1f} s "
          f"(bound {recovery.bound:.0f} s)")
    assert recovery.seconds <= recovery.bound
    stack.assert_once(recovery.events)
    met = {answer: count - seen.get(answer, 0) for answer, count in stack.ats.seen.items()}
    assert (met["500"], met["500-written"], met["429"]) == (2, 2, 3)

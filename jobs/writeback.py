"""The one algorithm that writes an outcome to any ATS exactly once, over the adapter's primitives.

Retries are safe because every step can be repeated or checked first: a note is looked for by
its marker before it is written again (where the ATS lets us search), the result slot is set to
the same value twice without harm, and a move goes only from the stage read just before it, so
a stale move never undoes a recruiter's own and a retry after a lost answer moves nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.contract import Adapter
from adapters.errors import Invalid, Superseded
from adapters.events import Outcome


def _nothing() -> None:
    return None


def write(adapter: Adapter, outcome: Outcome, *, first_attempt: bool,
          before_call: Callable[[], None] = _nothing) -> str | None:
    """Write the outcome; the ATS's id for what was written (a note, or the stage moved to).

    `before_call` runs before each call to the ATS and raises to stop there (the candidate was
    erased meanwhile: nothing more may be written about them).
    """
    if outcome.kind == "move":
        return move(adapter, outcome, before_call)
    if not adapter.manifest.can("notes"):
        raise Invalid(f"{adapter.name} takes no notes")
    note_id = None
    if not first_attempt and adapter.manifest.can("find_note"):
        # An earlier attempt may have reached the ATS before failing: look before writing.
        before_call()
        note_id = adapter.find_note(outcome)
    if note_id is None:
        before_call()
        note_id = adapter.create_note(outcome)
    if outcome.result is not None and adapter.manifest.can("result_slot"):
        before_call()
        adapter.set_result(outcome)
    return note_id


def move(adapter: Adapter, outcome: Outcome,
         before_call: Callable[[], None] = _nothing) -> str:
    """Move the application unless it is already there; fail loudly when its stage is unknown."""
    if not adapter.manifest.can("move"):
        raise Invalid(f"{adapter.name} cannot move applications")
    if not outcome.move_to_stage:
        raise Invalid("a move needs a stage to move to")  # a bug upstream: no retry
    before_call()
    position = adapter.current_stage(outcome.application_id)
    if position is None:
        # Never report a move that did not happen: the admin must see this one.
        raise Invalid("the application's current stage could not be read, so it was not moved")
    before_call()
    target = adapter.stage_for(position, outcome.move_to_stage)
    if position.stage_id != target:
        before_call()
        try:
            adapter.move(outcome.application_id, position.stage_id, target)
        except Invalid as refused:
            before_call()
            now = adapter.current_stage(outcome.application_id)
            if now is not None and now.stage_id != position.stage_id:
                raise Superseded(f"the application left stage {position.stage_id} before it "
                                 f"could be moved, so it was not moved", refused.status,
                                 refused.reply) from refused
            raise
    return target

"""The objects a long-lived process builds at start, kept out of the garbage collector's walks."""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what start-up left behind, then freeze the rest out of every later collection.

    A web or worker process builds some 150,000 objects at start (modules, the app, the ORM's
    mappers) that live as long as it does. Left in the collector's care, the first full
    collection after start walked them all: 95 to 125 ms in which a web worker answered
    nothing, once in each worker's first few thousand requests (bench/webhook_ack.py's warm-up
    and first round). Frozen, they are never walked again (docs.python.org/3/library/gc.html,
    gc.freeze).
    """
    gc.collect()
    gc.freeze()

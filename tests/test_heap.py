"""A web process keeps the objects it built at start out of the garbage collector's walks.

Measured before: the first full collection in each gunicorn worker walked some 150,000 objects
from start-up, 95 to 125 ms in which that worker answered nothing.
"""

from __future__ import annotations

import subprocess
import sys

from cryptography.fernet import Fernet

from tests.serving import newcomer_env


def test_the_web_entry_point_freezes_what_start_up_built(tmp_path):
    env = newcomer_env(tmp_path, SECRET_KEYS=Fernet.generate_key().decode())
    code = "import gc, connector.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    printed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout
    assert_settled(printed)


def assert_settled(counts: str) -> None:
    """`counts` as a process wrote them ("frozen tracked"): what start-up built is frozen."""
    frozen, tracked = map(int, counts.split())
    # The modules, the app's services and the ORM's mappers: walked by no collection.
    assert frozen > 50_000 and tracked < frozen / 4

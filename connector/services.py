"""The shared parts a web request or a job needs: settings, database, keyring, queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config import Settings
from connector.crypto import Keyring
from connector.db import Database
from connector.storage import Storage

if TYPE_CHECKING:  # jobs import this module: at run time the queue is whatever was built
    from jobs.queue import InProcessQueue, RedisQueue


@dataclass
class Services:
    settings: Settings
    db: Database
    keyring: Keyring
    queue: RedisQueue | InProcessQueue
    storage: Storage
    receivers: Any = None  # the webhook view's cache of installations (webhooks.receivers)

    def close(self) -> None:
        shutdown = getattr(self.queue, "shutdown", None)  # only a queue of threads has one
        if shutdown is not None:
            shutdown()
        self.db.dispose()


_current: Services | None = None


def install(services: Services) -> Services:
    """Make these the services that jobs in this process use."""
    global _current
    _current = services
    return services


def current() -> Services:
    """The services of this process, which the app factory or the CLI installed."""
    if _current is None:
        raise RuntimeError("no services installed in this process: build them with "
                           "connector.wiring.build_services and pass them to install()")
    return _current

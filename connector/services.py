"""The shared parts a web request or a job needs: settings, database, keyring, queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.hosts import allow_private_addresses
from config import Settings, load_settings
from connector.crypto import Keyring, keyring_for
from connector.db import Database
from connector.storage import Storage, storage_for
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
        if isinstance(self.queue, InProcessQueue):
            self.queue.shutdown()
        self.db.dispose()


_current: Services | None = None


def build_services(settings: Settings, synchronous_jobs: bool = False) -> Services:
    """Wire the parts from settings; with no REDIS_URL jobs run in this process."""
    allow_private_addresses(bool(settings.allow_private_ats_hosts))
    if settings.redis_url:
        queue: RedisQueue | InProcessQueue = RedisQueue(settings.redis_url)
    else:
        queue = InProcessQueue(synchronous=synchronous_jobs)
    return Services(settings, Database(settings.database_url), keyring_for(settings), queue,
                    storage_for(settings.recordings, settings.s3))


def install(services: Services) -> Services:
    """Make these the services that jobs in this process use."""
    global _current
    _current = services
    return services


def current() -> Services:
    """The services of this process, built from the environment on first use (rq workers)."""
    global _current
    if _current is None:
        _current = build_services(load_settings())
    return _current

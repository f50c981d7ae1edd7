"""The services of a process, built from its settings: the one place that picks the queue."""

from __future__ import annotations

from adapters.hosts import allow_private_addresses
from config import Settings
from connector.crypto import keyring_for
from connector.db import Database
from connector.services import Services
from connector.storage import storage_for
from jobs.queue import InProcessQueue, RedisQueue


def build_services(settings: Settings, synchronous_jobs: bool = False) -> Services:
    """Wire the parts from settings; with no REDIS_URL jobs run in this process."""
    allow_private_addresses(bool(settings.allow_private_ats_hosts))
    if settings.redis_url:
        queue: RedisQueue | InProcessQueue = RedisQueue(settings.redis_url)
    else:
        queue = InProcessQueue(synchronous=synchronous_jobs)
    return Services(settings, Database(settings.database_url), keyring_for(settings), queue,
                    storage_for(settings.recordings, settings.s3))

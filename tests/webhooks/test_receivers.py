"""The webhook view's installation cache: hits skip the database, misses are never kept."""

from __future__ import annotations

from sqlalchemy import event

from tests.conftest import make_installation
from webhooks.receivers import ReceiverCache


def count_queries(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: seen.append(statement))
    return seen


def test_a_hit_skips_the_database_until_it_expires(services, monkeypatch):
    installation = make_installation(services, ["Assessment"])
    cache = ReceiverCache(ttl=30)
    clock = [1000.0]
    monkeypatch.setattr("webhooks.receivers.time.monotonic", lambda: clock[0])
    queries = count_queries(services.db.engine)
    args = (services.db, services.keyring, services.settings, "greenhouse", installation["public_id"])

    first = cache.get(*args)
    assert first.installation_id == installation["id"]
    assert first.adapter.connection.webhook_secret == installation["secret"]
    looked_up = len(queries)
    assert cache.get(*args) is first and len(queries) == looked_up
    clock[0] += 31
    assert cache.get(*args) is not first and len(queries) > looked_up


def test_a_miss_is_not_kept(services):
    cache = ReceiverCache()
    assert cache.get(services.db, services.keyring, services.settings, "greenhouse", "inst_later") is None
    with services.db.session() as session:
        from connector.models import Installation
        session.query(Installation).delete()
    installation = make_installation(services, ["Assessment"])
    found = cache.get(services.db, services.keyring, services.settings, "greenhouse",
                      installation["public_id"])
    assert found is not None and found.installation_id == installation["id"]


def test_the_cache_is_bounded(services):
    cache = ReceiverCache(size=2)
    ids = [make_installation(services, ["A"], name=f"i{n}")["public_id"] for n in range(3)]
    for public_id in ids:
        cache.get(services.db, services.keyring, services.settings, "greenhouse", public_id)
    assert len(cache._items) == 2 and ("greenhouse", ids[0]) not in cache._items

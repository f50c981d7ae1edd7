"""Stored webhook bodies go DELIVERY_BODY_DAYS after processing, whoever they name."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connector.models import DeliveryStatus, Interview, WebhookDelivery
from connector.privacy.retention import DELIVERY_BODY_DAYS, purge_due
from tests.lifecycle_support import invite

DAY = timedelta(days=1)


def test_a_processed_body_is_emptied_after_its_bound_and_its_status_kept(client, services,
                                                                         installation,
                                                                         greenhouse):
    invite(client, services, installation)
    with services.db.session() as session:
        processed = session.scalars(select(WebhookDelivery)).one().processed_at
    bound = processed + DELIVERY_BODY_DAYS * DAY

    assert purge_due(services.db, services.storage, now=bound - DAY)["deliveries"] == 0
    assert purge_due(services.db, services.storage, now=bound + DAY)["deliveries"] == 1

    with services.db.session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert (delivery.body, delivery.event, delivery.headers) == ("", None, None)
        assert delivery.status is DeliveryStatus.PROCESSED and delivery.outcome == "invited"
        assert session.scalars(select(Interview)).one().erased_at is None  # still open
    assert purge_due(services.db, services.storage, now=bound + DAY)["deliveries"] == 0

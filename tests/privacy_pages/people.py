"""A second candidate of the same organization, invited by the same Greenhouse installation."""

from __future__ import annotations

import re

from sqlalchemy import select

from connector.models import Email
from tests.conftest import edit_fixture, signed_post

OTHER_NAME, OTHER_EMAIL = "Marta Oyelaran", "marta.oyelaran@example.com"


def invite_another(client, services, installation) -> str:
    """Invite Marta for another application; returns her link's token."""
    def change(data):
        application = data["payload"]["application"]
        application["id"] = 770001
        candidate = application["candidate"]
        candidate.update(id=880001, first_name="Marta", last_name="Oyelaran")
        candidate["email_addresses"] = [{"value": OTHER_EMAIL, "type": "personal"}]
    response = signed_post(client, installation,
                           edit_fixture("greenhouse", "candidate_stage_change", change),
                           event_id="evt-other")
    assert response.status_code == 200
    with services.db.session() as session:
        email = session.scalars(select(Email).where(Email.to_address == OTHER_EMAIL)).one()
    return re.search(r"/interview/([A-Za-z0-9_-]{43})", email.text_body)[1]

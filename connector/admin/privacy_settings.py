"""Admin page: how long the organization keeps personal data, and what the schedule purges next.

The admin chooses the retention period (a template may override it in the template editor),
how long a candidate's confirmed erasure request may wait, how long the access log is kept and
whom candidates write to about their data; below, the next interviews to be purged and when.
"""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, Range

from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.people import local_time
from connector.models import Organization, utcnow
from connector.privacy import retention

log = logging.getLogger("connector.admin")
RETENTION_DAYS = (30, 730)
ERASURE_WAIT_DAYS = (1, 30)  # a candidate's request is carried out within 30 days at most
ACCESS_LOG_DAYS = (90, 3650)
UPCOMING = 20
FIELDS = ("retention_days", "erasure_wait_days", "access_log_days", "privacy_contact")


def _days(low: int, high: int) -> fields.Integer:
    return fields.Integer(
        required=True, strict=False,
        validate=Range(low, high, error=f"Between {low} and {high} days."),
        error_messages={"required": "Enter a number of days.",
                        "invalid": "Enter a whole number of days."})


class PrivacySettingsSchema(Schema):
    retention_days = _days(*RETENTION_DAYS)
    erasure_wait_days = _days(*ERASURE_WAIT_DAYS)
    access_log_days = _days(*ACCESS_LOG_DAYS)
    privacy_contact = fields.Email(
        allow_none=True, load_default=None, validate=Length(max=320, error="At most 320 "
                                                            "characters."),
        error_messages={"invalid": "Enter an e-mail address, or leave it empty."})


@bp.route("/privacy/settings", methods=["GET", "POST"])
@admin_required
def privacy_settings():
    """The organization's retention settings, and what will be purged next."""
    with services().db.session() as session:
        organization = session.get(Organization, current_organization_id())
        if request.method == "GET":
            return _page(session, organization, _values_of(organization), {}, 200)
        values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
        try:
            data = PrivacySettingsSchema().load({k: v for k, v in values.items() if v != ""})
        except ValidationError as error:
            return _page(session, organization, values, error.messages, 400)
        for name in FIELDS:
            setattr(organization, name, data[name])
    log.info("admin.privacy-settings-changed organization=%s by=%s", current_organization_id(),
             current_user.id)
    flash("Privacy settings saved.", "ok")
    return redirect(url_for("admin.privacy_settings"), 303)


def _values_of(organization: Organization) -> dict:
    return {name: getattr(organization, name) or "" for name in FIELDS}


def _page(session, organization: Organization, values: dict, errors: dict, status: int):
    now = utcnow()
    html = render_template(
        "admin/privacy_settings.html", values={k: str(v)[:400] for k, v in values.items()},
        errors={k: " ".join(map(str, v)) for k, v in errors.items()},
        upcoming=retention.upcoming(session, organization.id, UPCOMING),
        due_week=retention.due_within(session, organization.id, 7, now),
        due_month=retention.due_within(session, organization.id, 30, now),
        zone=organization.timezone, local_time=local_time, limits={
            "retention_days": RETENTION_DAYS, "erasure_wait_days": ERASURE_WAIT_DAYS,
            "access_log_days": ACCESS_LOG_DAYS})
    return html, status

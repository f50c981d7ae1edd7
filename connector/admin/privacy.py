"""Admin page: the organization's records of processing and its privacy settings."""

from __future__ import annotations

from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.ops import render_page
from connector.privacy import records


@bp.get("/privacy")
@admin_required
def privacy():
    """What personal data the organization holds, where, for how long, and how much now."""
    settings = services().settings
    storage = records.describe_storage(settings.recordings, settings.s3.get("endpoint_url"))
    with services().db.session() as db:
        record, = records.report(db, storage, current_organization_id())
        return render_page("admin/privacy.html", db, record=record,
                           held=records.held_in_words)


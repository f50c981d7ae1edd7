"""Greenhouse: signed webhooks in; Harvest v3 notes, a score field and stage moves out.

Webhooks: https://developers.greenhouse.io/webhooks.html
Harvest v3: https://harvestdocs.greenhouse.io/ (v1 and v2 were retired on 2026-08-31)
"""

from pathlib import Path

from adapters.greenhouse.adapter import GreenhouseAdapter
from adapters.greenhouse.client import ALLOWED_HOSTS, DEFAULT_BASE_URL
from adapters.greenhouse.schemas import GreenhouseOptions
from adapters.manifest import CredentialField, Manifest

MANIFEST = Manifest(
    key="greenhouse",
    name="Greenhouse",
    adapter=GreenhouseAdapter,
    folder=Path(__file__).parent,
    credentials=(
        CredentialField("client_id", "Client ID",
                        "From Configure > Dev Center > API Credentials (Harvest V3 (OAuth))."),
        CredentialField("client_secret", "Client secret", secret=True),
        CredentialField("user_id", "User ID that notes are written as",
                        "The number in that user's Greenhouse URL; a Site Admin, since Harvest "
                        "v3 reads return nothing for other users."),
        CredentialField("token_url", "Token URL (only for a regional data centre)",
                        "Defaults to https://auth.greenhouse.io/token.", required=False),
    ),
    options=GreenhouseOptions,
    capabilities=frozenset({"notes", "find_note", "result_slot", "move", "list_stages",
                            "test_event"}),
    allowed_hosts=ALLOWED_HOSTS,
    default_base_url=DEFAULT_BASE_URL,
    # Harvest v3 counts requests in a fixed 30-second window and reports the limit in
    # X-RateLimit-Limit on every answer; until it does, assume no more than 50 a window
    # (https://harvestdocs.greenhouse.io/docs/api-rate-limiting [3P: the v3 guide as vendored]).
    rate_limit=(50, 30),
)

__all__ = ["GreenhouseAdapter", "MANIFEST"]

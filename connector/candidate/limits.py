"""How often one personal link may call: far above what the room sends, far below a flood."""

from __future__ import annotations

from flask import request

from connector.crypto import hash_token

# The room sends a heartbeat every 10 s and a few calls per answer; chunk uploads are not
# counted (each index is stored once and an answer's bytes are capped).
LINK_LIMIT = "120 per minute"
# Each request becomes a note in the ATS: a few are a conversation, more are noise.
ACCOMMODATION_LIMIT = "3 per hour"


def link_key() -> str:
    """The throttling key of one personal link (hashed: no link in the counters' store)."""
    return "interview-link:" + hash_token(request.view_args.get("token", ""))
# A copy is a ZIP of every recording: a few downloads are plenty, more are a load on storage.
EXPORT_LIMIT = "10 per hour"
# A request is one note in the ATS, and a repeat changes nothing: a handful is enough.
ERASURE_LIMIT = "5 per hour"

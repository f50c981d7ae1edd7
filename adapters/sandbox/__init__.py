"""The sandbox ATS, and any Kanban ATS that signs with Standard Webhooks: webhooks in, REST out.

Signatures: https://www.standardwebhooks.com/; the REST contract is in client.py.
"""

from pathlib import Path

from adapters.manifest import CredentialField, Manifest
from adapters.sandbox.adapter import SandboxAdapter
from adapters.sandbox.client import ALLOWED_HOSTS

MANIFEST = Manifest(
    key="sandbox",
    name="Standard Webhooks",  # the generic adapter: any Kanban ATS that signs this way
    adapter=SandboxAdapter,
    folder=Path(__file__).parent,
    credentials=(
        CredentialField("api_key", "API key",
                        "The bearer key your ATS gives for its REST API.", secret=True),
    ),
    capabilities=frozenset({"notes", "find_note", "result_slot", "move", "test_event"}),
    allowed_hosts=ALLOWED_HOSTS,
    rate_limit=(100, 10),  # the contract names none; a client's fair share
)

__all__ = ["MANIFEST", "SandboxAdapter"]

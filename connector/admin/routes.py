"""The admin blueprint with every area's views on it: importing each module registers them."""

from connector.admin import bp
from connector.admin import credentials, install_steps, installs, people, secrets  # noqa: F401
from connector.admin import templates  # noqa: F401
from connector.admin import erasures, ops, ops_health, ops_sessions  # noqa: F401
from connector.admin import access_log, privacy, privacy_settings  # noqa: F401

__all__ = ["bp"]

"""The one inbound route for every ATS, and its error types."""

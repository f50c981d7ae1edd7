"""Admin pages: ops."""

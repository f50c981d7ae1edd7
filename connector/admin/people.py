"""Admin pages: people."""

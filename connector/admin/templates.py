"""Admin pages: templates."""

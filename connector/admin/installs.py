"""Admin pages: installs."""

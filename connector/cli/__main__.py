"""`python -m connector.cli` runs the `connector` command."""

from connector.cli import main

main()

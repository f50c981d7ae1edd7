"""The candidate's pages, reached only through the personal link."""

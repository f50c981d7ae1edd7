"""rq jobs: each takes a row id, claims the row, and can run twice or die at any line safely."""

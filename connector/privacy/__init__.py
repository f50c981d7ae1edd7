"""Privacy: erasure, retention, the access log and the records of processing."""

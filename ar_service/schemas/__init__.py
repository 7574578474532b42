"""Published JSON Schemas (served under /api/v1/schema/)."""

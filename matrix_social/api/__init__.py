"""HTTP: the REST API under /api/social, its auth and its errors."""

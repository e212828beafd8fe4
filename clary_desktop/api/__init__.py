"""The local REST API (the seed's /api/v1 endpoints) for the document pipeline."""

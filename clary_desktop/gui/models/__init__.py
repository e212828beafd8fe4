"""Qt item models: the catalog table and the download queue."""

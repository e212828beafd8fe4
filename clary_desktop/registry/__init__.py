"""The catalog service: models and versions, manifests, sync, usage, metrics, API keys.

Plain Python over the database; the fronts reach it through `clary_desktop.app`.
"""

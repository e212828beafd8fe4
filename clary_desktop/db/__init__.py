"""The catalog database: engine set-up, ORM tables and schema migrations."""

from clary_desktop.db.database import Database, open_database

__all__ = ["Database", "open_database"]

"""Compare a SQLite database's contents before and after an operation."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def dump(db_file: Path) -> list[str]:
    """Every table's rows as SQL text (schema included), read without changing the file."""
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        return list(con.iterdump())
    finally:
        con.close()

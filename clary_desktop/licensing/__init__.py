"""Signed license files -> Tier. Plain Python: no Qt, no database.

`LicenseManager` is the Registry's tier source; `LicenseStatus` is what fronts show;
every failure inside is a `LicenseError` with a `Reason`.
"""

from clary_desktop.licensing.check import evaluate
from clary_desktop.licensing.errors import LicenseError, Reason
from clary_desktop.licensing.ledger import Ledger
from clary_desktop.licensing.manager import LicenseManager
from clary_desktop.licensing.verifier import LicenseVerifier

__all__ = [
    "Ledger",
    "LicenseError",
    "LicenseManager",
    "LicenseVerifier",
    "Reason",
    "evaluate",
]

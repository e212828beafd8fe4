"""The proxy password: in the OS keychain (Windows Credential Manager, macOS Keychain,
the Secret Service on Linux) through `keyring`, never in the settings file. Where no
keychain exists (a server without a desktop session), CLARY_PROXY_PASSWORD gives it for
the run instead; that variable also wins over the keychain when both are there."""

from __future__ import annotations

import contextlib
import logging
import os

from clary_desktop.errors import ClaryError

log = logging.getLogger(__name__)

PROXY_PASSWORD_ENV = "CLARY_PROXY_PASSWORD"
KEYCHAIN_SERVICE = "Clary Desktop proxy"


def _entry(proxy_host: str, user: str) -> str:
    """One keychain entry per user and proxy: "user@host:port"."""
    return f"{user}@{proxy_host}"


def proxy_password(proxy_host: str, user: str) -> str | None:
    """The password of `user` at the proxy `proxy_host` (HOST:PORT), or None."""
    from_env = os.environ.get(PROXY_PASSWORD_ENV)
    if from_env:
        return from_env
    try:
        # keyring (and its OS backends) load only when a proxy user is configured.
        import keyring

        return keyring.get_password(KEYCHAIN_SERVICE, _entry(proxy_host, user))
    except Exception as error:  # no backend, a locked or broken keychain: ask elsewhere
        log.warning("The keychain could not be read for the proxy password: %s", error)
        return None


def store_proxy_password(proxy_host: str, user: str, password: str | None) -> str:
    """Keep (or, with None, forget) the password in the keychain; where it now lives,
    in words. Raises ClaryError when there is no usable keychain."""
    try:
        import keyring
        import keyring.errors

        entry = _entry(proxy_host, user)
        if password is None:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):  # none was stored
                keyring.delete_password(KEYCHAIN_SERVICE, entry)
            return "The proxy password was removed from the system keychain."
        keyring.set_password(KEYCHAIN_SERVICE, entry, password)
        return (
            f"The proxy password for {user} is kept in the system keychain "
            f"({keyring.get_keyring().name}), under '{KEYCHAIN_SERVICE}'."
        )
    except Exception as error:
        raise ClaryError(
            f"This computer has no usable system keychain to keep the proxy password in "
            f"({type(error).__name__}), and Clary never writes it into its settings file. "
            f"Set the environment variable {PROXY_PASSWORD_ENV} to the password instead."
        ) from None


def password_source(proxy_host: str, user: str) -> str:
    """Where the password of `user` comes from, in words (for settings screens)."""
    if os.environ.get(PROXY_PASSWORD_ENV):
        return f"the environment variable {PROXY_PASSWORD_ENV}"
    if proxy_password(proxy_host, user) is not None:
        return "the system keychain"
    return f"nowhere yet: store it in the system keychain, or set {PROXY_PASSWORD_ENV}"

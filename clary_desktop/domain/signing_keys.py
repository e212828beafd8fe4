"""Trusted vendor public keys, by key id.

A key id is the file name: `<kid>.pub` holds a PEM (SubjectPublicKeyInfo)
Ed25519 public key. Shipped keys live in `resources/keys/`; a source checkout
(not a frozen build) also trusts `*.pub` in the folder named by
CLARY_DEV_LICENSE_KEYS, so the program can be tried with a development key.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clary_desktop.domain.signing import KID_PATTERN
from clary_desktop.resources import ResourcesMissingError, is_frozen, resource_path
from clary_desktop.userfiles import UserFileError, read_user_file

DEV_KEYS_ENV = "CLARY_DEV_LICENSE_KEYS"
PUBLIC_SUFFIX = ".pub"
PRIVATE_SUFFIX = ".key"
# A PEM Ed25519 key is a few hundred bytes.
MAX_KEY_FILE_BYTES = 64 * 1024
log = logging.getLogger(__name__)

TrustedKeys = Mapping[str, Ed25519PublicKey]


def key_id_for(public_key: Ed25519PublicKey, name: str = "clary") -> str:
    """`<name>-<first 16 hex digits of sha256(raw public key)>`: unique, and stable."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = f"{name}-{hashlib.sha256(raw).hexdigest()[:16]}"
    if not re.fullmatch(KID_PATTERN, kid):
        raise ValueError(f"key name {name!r} gives an invalid key id (use letters, digits, - . _)")
    return kid


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_public_key(data: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def load_private_key(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def load_key_dir(folder: Path) -> dict[str, Ed25519PublicKey]:
    """Every readable `<kid>.pub` in `folder`; unusable files are logged and skipped."""
    keys: dict[str, Ed25519PublicKey] = {}
    try:
        candidates = sorted(folder.glob(f"*{PUBLIC_SUFFIX}"))
    except OSError as error:
        log.warning("Cannot list license keys in %s: %s", folder, error)
        return keys
    for path in candidates:
        kid = path.name[: -len(PUBLIC_SUFFIX)]
        if not re.fullmatch(KID_PATTERN, kid):
            log.warning("Ignoring license key %s: the file name is not a valid key id", path)
            continue
        try:
            keys[kid] = load_public_key(read_user_file(path, MAX_KEY_FILE_BYTES))
        except (UserFileError, ValueError, TypeError) as error:
            log.warning("Ignoring license key %s: %s", path, error)
    return keys


def shipped_keys_dir() -> Path | None:
    try:
        return resource_path("keys")
    except ResourcesMissingError:
        return None


def default_trusted_keys() -> dict[str, Ed25519PublicKey]:
    """Shipped keys, plus development keys in a source checkout. Shipped keys win a clash."""
    folder = shipped_keys_dir()
    keys = load_key_dir(folder) if folder is not None else {}
    dev_folder = os.environ.get(DEV_KEYS_ENV)
    if dev_folder and not is_frozen():
        for kid, key in load_key_dir(Path(dev_folder)).items():
            keys.setdefault(kid, key)
    return keys

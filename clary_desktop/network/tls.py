"""The certificates HTTPS trusts: the operating system's store (through truststore:
Windows' and macOS' own verifiers, the system bundle on Linux) plus an optional PEM
bundle the company gives (the `ca_bundle` setting). Verification is always on."""

from __future__ import annotations

import ssl
from pathlib import Path

from clary_desktop.errors import ClaryError

MAX_BUNDLE_BYTES = 16 * 1024 * 1024
_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


def check_ca_bundle(path: Path) -> None:
    """Raise ClaryError unless `path` is a readable PEM file holding certificates."""
    where = f"The CA bundle {path} (the ca_bundle setting)"
    try:
        if not path.is_file():
            raise ClaryError(
                f"{where} is not a file. Choose the PEM file of your company's root "
                "certificate, or clear the setting."
            )
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            raise ClaryError(f"{where} is larger than a certificate bundle can be.")
        data = path.read_bytes()
    except OSError as error:
        raise ClaryError(
            f"{where} cannot be read ({error.strerror or error}). Check the file and its "
            "permissions, or clear the setting."
        ) from None
    if _PEM_BEGIN not in data:
        raise ClaryError(
            f"{where} holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line). Ask "
            "IT for the root certificate in PEM format (a DER .cer file can be converted "
            "with `openssl x509 -inform der -in root.cer -out root.pem`)."
        )
    try:
        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        probe.load_verify_locations(cadata=data.decode("ascii", errors="replace"))
    except (ssl.SSLError, ValueError) as error:
        raise ClaryError(
            f"{where} holds a certificate that cannot be used ({error}). Ask IT for the "
            "root certificate in PEM format."
        ) from None


def trust_context(ca_bundle: Path | None = None) -> ssl.SSLContext:
    """A client context that verifies servers against the OS store and `ca_bundle`."""
    # truststore is only needed once a connection is made: loaded here, not at start-up.
    import truststore

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_bundle is not None:
        check_ca_bundle(ca_bundle)
        context.load_verify_locations(cafile=str(ca_bundle))
    return context

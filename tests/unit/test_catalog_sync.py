"""Catalog sync: signatures, sequence numbers, retired entries, one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.errors import Action, ClaryError, Hint, InvalidManifestError
from clary_desktop.licensing.errors import LicenseError
from clary_desktop.paths import AppPaths
from clary_desktop.registry.signed_catalog import sign_catalog
from tests.support.db_state import dump
from tests.support.fault_server import BlobServer
from tests.support.licenses import Signer
from tests.support.manifests import model_entry, url_version


def manifest(sequence: int | None, *entries: dict[str, Any]) -> bytes:
    document: dict[str, Any] = {"schema": 1, "models": list(entries)}
    if sequence is not None:
        document["sequence"] = sequence
        document["published_at"] = "2026-11-01T00:00:00Z"
    return json.dumps(document).encode()


def v(version: str, changes: str | None = None) -> dict[str, Any]:
    return url_version(version, f"https://models.example/r-{version}.gguf", 10, changes=changes)


@pytest.fixture
def signer() -> Signer:
    return Signer(kid="catalog-test")


@pytest.fixture
def reg(paths: AppPaths, signer: Signer) -> Iterator[Registry]:
    registry = Registry.open(paths, tier_source=lambda: Tier.PROFESSIONAL)
    registry.catalog_keys = {signer.kid: signer.private_key.public_key()}
    yield registry
    registry.close()


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_signed_manifest_is_accepted_and_its_sequence_kept(reg, signer, tmp_path) -> None:
    data = sign_catalog(
        signer.private_key, signer.kid, manifest(3, model_entry("remote-a", versions=[v("1.0")]))
    )
    summary = reg.sync_catalog(write(tmp_path, "c.json", data))
    assert (summary.signed, summary.sequence, summary.added) == (True, 3, 1)
    assert reg.get_model("remote-a").origin == "remote"
    again = reg.sync_catalog(write(tmp_path, "c.json", data))
    assert again.unchanged


REFUSED = {
    "tampered payload": "signature does not match",
    "tampered signature": "signature does not match",
    "unsigned local file": "not signed. If you trust this file, accept it as unsigned.",
    "wrong key, same key id": "signature does not match",
    "unknown key id": "signed with a key this Clary Desktop does not trust",
    "license signed as catalog": "signature does not match",
    "older sequence": "older than the one already accepted (sequence 5)",
    "same sequence, other content": "reuses sequence 5 with different contents",
    "signed without sequence": "must carry a sequence number",
    "bad entry": "entry 1 ('bad'), field tier: unknown tier 'gold'",
}


def _refused_document(case: str, signer: Signer) -> bytes:
    good = manifest(6, model_entry("remote-b", versions=[v("1.0")]))
    if case == "tampered payload":
        document = json.loads(sign_catalog(signer.private_key, signer.kid, good))
        payload = json.loads(good)
        payload["models"][0]["tier"] = "professional"
        from clary_desktop.domain.signing import b64url_encode

        document["payload"] = b64url_encode(json.dumps(payload).encode())
        return json.dumps(document).encode()
    if case == "tampered signature":
        document = json.loads(sign_catalog(signer.private_key, signer.kid, good))
        document["sig"] = ("A" if document["sig"][0] != "A" else "B") + document["sig"][1:]
        return json.dumps(document).encode()
    if case == "unsigned local file":
        return good
    if case == "wrong key, same key id":
        other = Signer(kid="catalog-test")
        return sign_catalog(other.private_key, other.kid, good)
    if case == "unknown key id":
        other = Signer(kid="someone-else")
        return sign_catalog(other.private_key, other.kid, good)
    if case == "license signed as catalog":
        return signer.sign(good)  # the license domain prefix, same key
    if case == "older sequence":
        return sign_catalog(signer.private_key, signer.kid, manifest(4, model_entry("remote-b")))
    if case == "same sequence, other content":
        return sign_catalog(signer.private_key, signer.kid, manifest(5, model_entry("remote-b")))
    if case == "signed without sequence":
        return sign_catalog(signer.private_key, signer.kid, manifest(None, model_entry("x")))
    if case == "bad entry":
        return sign_catalog(
            signer.private_key, signer.kid, manifest(7, model_entry("bad", tier="gold"))
        )
    raise AssertionError(case)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_catalogs_are_refused_and_change_nothing(reg, signer, tmp_path, case) -> None:
    first = sign_catalog(
        signer.private_key, signer.kid, manifest(5, model_entry("remote-a", versions=[v("1.0")]))
    )
    reg.sync_catalog(write(tmp_path, "first.json", first))
    before = dump(reg.paths.database_file)
    bad = write(tmp_path, "bad.json", _refused_document(case, signer))
    with pytest.raises(InvalidManifestError) as info:
        reg.sync_catalog(bad)
    assert REFUSED[case] in str(info.value)
    if case == "unsigned local file":  # each front says how to accept it
        assert info.value.hint == Hint(Action.ALLOW_UNSIGNED, source=bad)
    assert dump(reg.paths.database_file) == before


def test_a_catalog_never_passes_as_a_license(signer) -> None:
    catalog = sign_catalog(signer.private_key, signer.kid, signer.license())
    with pytest.raises(LicenseError, match="signature does not match"):
        signer.verifier().verify(catalog)


def test_unsigned_local_file_with_permission_and_never_from_the_network(reg, tmp_path) -> None:
    plain = manifest(None, model_entry("local-a", versions=[v("1.0")]))
    summary = reg.sync_catalog(write(tmp_path, "plain.json", plain), allow_unsigned=True)
    assert summary.added == 1 and not summary.signed
    with BlobServer() as server:
        server.add("catalog.json", plain)
        with pytest.raises(InvalidManifestError, match="must be signed by Clary"):
            reg.sync_catalog(server.url("catalog.json"), allow_unsigned=True)


def test_signed_catalog_from_a_url_and_offline_mode(reg, signer) -> None:
    data = sign_catalog(
        signer.private_key, signer.kid, manifest(1, model_entry("remote-url", versions=[v("2.0")]))
    )
    with BlobServer() as server:
        server.add("catalog.json", data)
        reg.settings.offline = True
        with pytest.raises(ClaryError, match="Offline mode is on"):
            reg.sync_catalog(server.url("catalog.json"))
        assert server.requests == []
        reg.settings.offline = False
        assert reg.sync_catalog(server.url("catalog.json")).added == 1
        with pytest.raises(ClaryError, match="answered 404"):
            reg.sync_catalog(server.base_url + "/blobs/missing.json")
    assert reg.get_model("remote-url").version == "2.0"


def test_dropped_entries_are_retired_not_deleted(reg, signer, tmp_path) -> None:
    both = manifest(
        1, model_entry("keep", versions=[v("1.0")]), model_entry("drop", versions=[v("1.0")])
    )
    reg.sync_catalog(write(tmp_path, "1.json", sign_catalog(signer.private_key, signer.kid, both)))
    only = manifest(2, model_entry("keep", versions=[v("1.0"), v("1.1", "faster")]))
    summary = reg.sync_catalog(
        write(tmp_path, "2.json", sign_catalog(signer.private_key, signer.kid, only))
    )
    assert summary.retired == 1
    dropped = reg.get_model("drop")
    assert dropped.retired and dropped.id == "drop"
    assert not reg.get_model("keep").retired and reg.get_model("keep").version == "1.1"
    assert not reg.get_model("layoutlmv3").retired  # shipped entries are not the remote's to retire
    back = manifest(3, model_entry("keep", versions=[v("1.1")]), model_entry("drop"))
    reg.sync_catalog(write(tmp_path, "3.json", sign_catalog(signer.private_key, signer.kid, back)))
    assert not reg.get_model("drop").retired


def test_no_source_configured_says_how_to_set_one(reg) -> None:
    with pytest.raises(ClaryError, match="No catalog source is set"):
        reg.sync_catalog()


def test_tiers_of_clary_models_come_only_from_clarys_catalogs(reg, signer, tmp_path) -> None:
    """An unsigned file may not open a Clary model to a lower tier, and a model an
    older version let a manifest lower gets Clary's tier back at the next signed sync."""
    lowered = manifest(None, model_entry("llama-3-8b", tier="lite", versions=[v("9.0")]))
    before = dump(reg.paths.database_file)
    with pytest.raises(ClaryError, match=r"entry 1 \('llama-3-8b'\), field tier: tier 'lite'"):
        reg.sync_catalog(write(tmp_path, "plain.json", lowered), allow_unsigned=True)
    assert dump(reg.paths.database_file) == before
    # A user's own model may be at any tier; a Clary model may be made stricter, never lower.
    mine = manifest(
        None,
        model_entry("mine", tier="professional", versions=[v("1.0")]),
        model_entry("got-ocr-2", tier="standard", versions=[v("1.0")]),
    )
    reg.sync_catalog(write(tmp_path, "mine.json", mine), allow_unsigned=True)
    assert reg.get_model("mine").tier == "professional"
    assert reg.get_model("got-ocr-2").tier == "standard"
    with pytest.raises(ClaryError, match="never lower the tier of a Clary model"):
        reg.update_model("llama-3-8b", tier="lite")
    assert reg.get_model("llama-3-8b").tier == "professional"

    # The state an older release left behind: the tier lowered, the entry user-modified.
    from clary_desktop.db.tables import ModelMetadata

    with reg.db.write() as session:
        row = session.get(ModelMetadata, "llama-3-8b")
        row.tier, row.user_modified = "lite", True
    signed = manifest(4, model_entry("llama-3-8b", tier="professional", versions=[v("9.0")]))
    reg.sync_catalog(
        write(tmp_path, "s.json", sign_catalog(signer.private_key, signer.kid, signed))
    )
    assert reg.get_model("llama-3-8b").tier == "professional"

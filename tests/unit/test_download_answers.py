"""Which addresses count as the Hub endpoint itself (the only one the token goes to)."""

from __future__ import annotations

import pytest

from clary_desktop.downloads.answers import same_origin

HUB = "https://huggingface.co"


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://huggingface.co/org/repo/resolve/main/x.bin", True),
        ("https://HuggingFace.co:443/org/repo/resolve/main/x.bin", True),
        ("http://huggingface.co/org/repo/resolve/main/x.bin", False),  # plain http
        ("https://huggingface.co:8443/x.bin", False),  # another port
        ("https://huggingface.co.evil.example/x.bin", False),
        ("https://evil.example/huggingface.co/x.bin", False),
        ("https://user@evil.example/x.bin", False),
        ("https://huggingface.co@evil.example/x.bin", False),
    ],
)
def test_same_origin(url, same):
    assert same_origin(url, HUB) is same

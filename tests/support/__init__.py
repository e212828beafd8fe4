"""Helpers shared by the test suites: CLI runner, loopback servers, manifests."""

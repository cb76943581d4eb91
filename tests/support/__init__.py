"""Test support: real services the integration and conformance tests start for themselves."""

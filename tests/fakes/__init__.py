"""Test doubles: fake vendors on real local HTTP servers, one per module."""

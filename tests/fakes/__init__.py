"""Test doubles: an in-memory repository implementing the repository Protocols, and fake
vendors on real local HTTP servers, one per module."""

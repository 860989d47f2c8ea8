"""Fakes of the tests' own: an in-memory repository implementing the repository Protocols."""

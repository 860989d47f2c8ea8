"""A small Django shop with the oct8ne adapter in the same process (see README.md)."""

"""What an import did: the counts every caller reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did."""

    inserted: int
    updated: int
    unchanged: int
    pruned: int
    rejected: int
    #: Why `--prune` deleted nothing (`prune skipped: ...`); empty when it ran or was not asked.
    prune_skipped: str = ""

    def describe(self) -> str:
        """`3 inserted, 1 updated, 0 unchanged, 0 pruned, 1 rejected`."""
        return (
            f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.pruned} pruned, {self.rejected} rejected"
        )

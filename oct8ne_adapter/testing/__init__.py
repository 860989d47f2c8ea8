"""The contract kit: the behaviour every repository must have, and the in-memory reference.

`RepositoryContract` is a pytest base class a shop subclasses in its own tests, with a
`repository` and a `contract_data` fixture (see `oct8ne_adapter.testing.contract`);
`InMemoryRepository` implements every Protocol of `oct8ne_adapter.repository` in memory and
passes the contract with `REFERENCE_DATA`; `InMemoryCatalogSource` is the reference
`CatalogSource` (product records and a change log in memory). Needs pytest
(`pip install oct8ne-adapter[testing]`).
"""

from __future__ import annotations

from oct8ne_adapter.testing.contract import (
    UNKNOWN_ID,
    UNKNOWN_LANGUAGE,
    ContractData,
    RepositoryContract,
)
from oct8ne_adapter.testing.memory import ADA, ADA_SESSION, GUEST_SESSION, InMemoryRepository
from oct8ne_adapter.testing.source import InMemoryCatalogSource, sourced_repository

#: What exists in a new InMemoryRepository, for RepositoryContract.
REFERENCE_DATA = ContractData(
    product_ids=("1001", "1002", "1003"),
    customer_id=ADA.id,
    addable_product_id="1004",
    customer_email=ADA.email,
    order_reference="FK-0001",
    search_text="ing",
    languages=("en",),
    currency="USD",
)

__all__ = [
    "ADA",
    "ADA_SESSION",
    "GUEST_SESSION",
    "REFERENCE_DATA",
    "UNKNOWN_ID",
    "UNKNOWN_LANGUAGE",
    "ContractData",
    "InMemoryCatalogSource",
    "InMemoryRepository",
    "RepositoryContract",
    "sourced_repository",
]

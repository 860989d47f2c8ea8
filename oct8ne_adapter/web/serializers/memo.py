"""ProductInfoMemo: an app's recently built ProductInfo payloads (kept in its AdapterState)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from oct8ne_adapter.domain import Product
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.web.params import Presentation

#: About as many entries as the product cache keeps products.
MAX_ENTRIES = 10_000

Json = dict[str, Any]


class ProductInfoMemo:
    """Recently built ProductInfo payloads, by product object and presentation.

    The product cache hands out the same Product objects until the catalog changes, so the same
    object asked again in the same locale and currency gets the payload built the first time
    (formatting ten prices and URLs is most of a productInfo request). An entry keeps its product
    alive, so a key's object id cannot be reused while the entry exists. One memo per app: its
    settings (shop URL, add-to-cart path) shape the payloads.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, int, Presentation], tuple[Product, Settings, Json]]
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self,
        product: Product,
        settings: Settings,
        presentation: Presentation,
        build: Callable[[Product], Json],
    ) -> Json:
        """The payload of `product` for this presentation, built with `build` the first time."""
        key = (id(product), id(settings), presentation)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is product and entry[1] is settings:
                self._entries.move_to_end(key)
                return entry[2]
        payload = build(product)
        with self._lock:
            self._entries[key] = (product, settings, payload)
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return payload

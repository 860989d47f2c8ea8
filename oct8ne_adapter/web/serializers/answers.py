"""AnswerCache: an app's encoded productInfo/productSummary answers (kept in its AdapterState)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import orjson

from oct8ne_adapter.domain import Product

#: Answers kept per app and process (a few KB each: ten products' payloads).
MAX_ANSWERS = 4_000


class AnswerCache:
    """Encoded answers by request, reused while the repository hands out the same products.

    The key is everything of the request that shapes the bytes besides the products (method,
    ids in their order, locale, language chain, currency); the products themselves are checked
    by identity. The product cache hands out the same Product objects until the catalog
    changes (stock, variants and per-locale URLs are all in them), so an answer is reused
    exactly until the next change it would show, with no catalog version of its own to follow:
    a repository that returns new objects simply never hits. An entry keeps its products alive.
    """

    def __init__(self, max_answers: int = MAX_ANSWERS) -> None:
        self.max_answers = max_answers
        self._entries: OrderedDict[Hashable, tuple[tuple[Product, ...], orjson.Fragment]]
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def answer(
        self,
        key: Hashable,
        products: Sequence[Product],
        build: Callable[[Sequence[Product]], Any],
    ) -> orjson.Fragment:
        """The encoded answer for this request and these products, built the first time."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and _same(entry[0], products):
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
        # orjson writes a Fragment's bytes as they are: the answer is encoded once.
        encoded = orjson.Fragment(orjson.dumps(build(products)))
        with self._lock:
            self._entries[key] = (tuple(products), encoded)
            if len(self._entries) > self.max_answers:
                self._entries.popitem(last=False)
        return encoded


def _same(kept: tuple[Product, ...], products: Sequence[Product]) -> bool:
    return len(kept) == len(products) and all(a is b for a, b in zip(kept, products, strict=True))

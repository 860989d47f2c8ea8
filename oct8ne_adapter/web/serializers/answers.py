"""AnswerCache: an app's encoded productInfo/productSummary answers (kept in its AdapterState)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from oct8ne_adapter.domain import Product
from oct8ne_adapter.web.responses import EncodedJson, encode_json

#: Answers kept per app and process (a few KB each: ten products' payloads).
MAX_ANSWERS = 4_000


class AnswerCache:
    """Encoded answers by request, reused while the catalog has not changed.

    Two ways in. `answer` keys on everything of the request that shapes the bytes besides the
    products (method, ids in their order, locale, language chain, currency) and checks the
    products by identity: the product cache hands out the same Product objects until the
    catalog changes (stock, variants and per-locale URLs are all in them), so a repository that
    returns new objects simply never hits. `lookup` comes first, before the request is even
    parsed: its key is the raw parameters that shape the bytes, and an entry counts only under
    the catalog generation it was built in (`SqlRepository.catalog_generation`, which moves
    with the change log), so a popular productInfo costs one dictionary lookup. Entries keep
    their products alive.
    """

    def __init__(self, max_answers: int = MAX_ANSWERS) -> None:
        self.max_answers = max_answers
        self._entries: OrderedDict[Hashable, tuple[tuple[Product, ...], EncodedJson]]
        self._entries = OrderedDict()
        self._requests: OrderedDict[Hashable, tuple[Hashable, EncodedJson]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, request: Hashable, generation: Hashable) -> EncodedJson | None:
        """The answer remembered for these raw parameters in this catalog generation."""
        with self._lock:
            entry = self._requests.get(request)
            if entry is None or entry[0] != generation:
                return None
            self._requests.move_to_end(request)
            self.hits += 1
            return entry[1]

    def remember(self, request: Hashable, generation: Hashable, answer: EncodedJson) -> None:
        """Keep `answer` for these raw parameters, valid in this catalog generation only."""
        with self._lock:
            self._requests[request] = (generation, answer)
            if len(self._requests) > self.max_answers:
                self._requests.popitem(last=False)

    def answer(
        self,
        key: Hashable,
        products: Sequence[Product],
        build: Callable[[Sequence[Product]], Any],
    ) -> EncodedJson:
        """The encoded answer for this request and these products, built the first time."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and _same(entry[0], products):
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
        encoded = EncodedJson(encode_json(build(products)))
        with self._lock:
            self._entries[key] = (tuple(products), encoded)
            if len(self._entries) > self.max_answers:
                self._entries.popitem(last=False)
        return encoded


def _same(kept: tuple[Product, ...], products: Sequence[Product]) -> bool:
    return len(kept) == len(products) and all(a is b for a, b in zip(kept, products, strict=True))

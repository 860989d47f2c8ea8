"""Token indexes: sorted tokens, each with the roaring bitmap of the keys whose text has it."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

from pyroaring import BitMap

from oct8ne_adapter.sql import fulltext

#: Postings buffered per token before they are folded into its bitmap (bounds build memory).
FLUSH_POSTINGS = 2_000_000


class PrefixIndex:
    """Sorted tokens, each with the bitmap of the keys (products, brands...) whose text has it."""

    def __init__(self, postings: dict[str, BitMap] | None = None) -> None:
        postings = postings or {}
        self.tokens = sorted(postings)
        self.bitmaps = [postings[token] for token in self.tokens]

    def matching(self, word: str) -> BitMap:
        """The union of the bitmaps of every token that starts with `word`."""
        start = bisect_left(self.tokens, word)
        # Every token with this prefix sorts before the prefix followed by the highest code point.
        end = bisect_left(self.tokens, word + "\U0010ffff", lo=start)
        return BitMap.union(BitMap(), *self.bitmaps[start:end])

    def add(self, key: int, tokens: Iterable[str]) -> None:
        """Index `key` under these tokens."""
        for token in tokens:
            at = bisect_left(self.tokens, token)
            if at < len(self.tokens) and self.tokens[at] == token:
                self.bitmaps[at].add(key)
            else:
                self.tokens.insert(at, token)
                self.bitmaps.insert(at, BitMap([key]))

    def remove(self, keys: BitMap) -> None:
        """Take these keys out of every token."""
        for bitmap in self.bitmaps:
            bitmap.difference_update(keys)


class PostingsBuilder:
    """Token -> keys, buffered in compact arrays and folded into bitmaps in bounded batches."""

    def __init__(self) -> None:
        self.bitmaps: dict[str, BitMap] = {}
        self.pending: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        self.buffered = 0

    def add(self, key: int, tokens: Iterable[str]) -> None:
        for token in tokens:
            self.pending[token].append(key)
            self.buffered += 1
        if self.buffered >= FLUSH_POSTINGS:
            self.flush()

    def flush(self) -> None:
        for token, keys in self.pending.items():
            bitmap = self.bitmaps.get(token)
            if bitmap is None:
                self.bitmaps[token] = BitMap(keys)
            else:
                bitmap.update(keys)
        self.pending.clear()
        self.buffered = 0

    def index(self) -> PrefixIndex:
        self.flush()
        return PrefixIndex(self.bitmaps)


def names_index(rows: Iterable[tuple[int, str | None]]) -> PrefixIndex:
    """Keys by the tokens of their names (brands, categories, attribute values)."""
    postings: defaultdict[str, BitMap] = defaultdict(BitMap)
    for key, text in rows:
        for token in fulltext.tokens(text or ""):
            postings[token].add(key)
    return PrefixIndex(dict(postings))

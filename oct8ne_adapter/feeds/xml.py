"""Google Merchant Center XML: RSS 2.0 `<item>`s or Atom `<entry>`s with `g:` fields, streamed.

Parsing goes through defusedxml: a feed comes from outside, and the standard library's parser
expands entities (billion laughs, quadratic blow-up). Each item is dropped from the tree as soon
as it is read, so memory stays flat however long the feed is.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from oct8ne_adapter.errors import ImportFailed
from oct8ne_adapter.feeds import FeedRow, Rejected, accepted, row_digest
from oct8ne_adapter.feeds.gmc import normalize_field, to_record

GOOGLE = "http://base.google.com/ns/1.0"
ATOM = "http://www.w3.org/2005/Atom"
_ITEMS = {"item", f"{{{ATOM}}}entry"}
_ROOTS = {"rss", f"{{{ATOM}}}feed"}


def _local_name(tag: str) -> str:
    if tag.startswith(f"{{{GOOGLE}}}"):
        return tag[len(GOOGLE) + 2 :]
    if tag.startswith(f"{{{ATOM}}}"):
        name = tag[len(ATOM) + 2 :]
        return {"summary": "description", "content": "description"}.get(name, name)
    return tag


def item_fields(item: Element) -> dict[str, list[str]]:
    """field -> values of one item; g: fields win over the RSS/Atom ones of the same name."""
    native: dict[str, list[str]] = {}
    google: dict[str, list[str]] = {}
    for child in item:
        if not isinstance(child.tag, str):
            continue
        target = google if child.tag.startswith(f"{{{GOOGLE}}}") else native
        name = normalize_field(_local_name(child.tag))
        value = child.get("href", "") if name == "link" and child.get("href") else child.text
        target.setdefault(name, []).append((value or "").strip())
    return {**native, **google}


def read_xml(stream: BinaryIO, language: str) -> Iterator[FeedRow]:
    """Rows of an RSS or Atom feed; the number is the item's position in the feed."""
    number = 0
    parents: list[Element] = []
    try:
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=False):
            if event == "start":
                if not parents and element.tag not in _ROOTS:
                    raise ImportFailed(
                        "not a product feed: the XML root must be <rss> or an Atom <feed>"
                    )
                parents.append(element)
                continue
            parents.pop()
            if element.tag not in _ITEMS:
                continue
            number += 1
            fields = item_fields(element)
            # Drop the item from its parent: the tree never holds more than one item.
            element.clear()
            if parents:
                parents[-1].remove(element)
            product_id = next((value for value in fields.get("id", ()) if value), "")
            if not product_id:
                yield Rejected(number, None, "id is required", unit="item")
                continue
            digest = row_digest("xml", language, repr(sorted(fields.items())))
            group = next((value for value in fields.get("item_group_id", ()) if value), "")
            yield accepted(
                number,
                product_id[:64],
                digest,
                partial(to_record, fields, language),
                group,
                unit="item",
            )
    except ParseError as error:
        line, column = error.position
        yield Rejected(
            number + 1,
            None,
            f"broken XML at line {line}, column {column} ({str(error).split(':')[0]})",
            unit="item",
            fatal=True,
        )
    except DefusedXmlException as error:
        raise ImportFailed(f"refused XML: {error}") from None

"""What counts as a safe JavaScript name, for JSONP callbacks and the widget's hook functions."""

from __future__ import annotations

import re

#: A dotted path of ASCII identifiers, e.g. `jQuery3601_1700000000`, `shop.cart.onAdded`.
JAVASCRIPT_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*")
MAX_NAME_LENGTH = 128


def is_javascript_name(value: str) -> bool:
    """Whether `value` can be written into a script as a function reference, unquoted."""
    return len(value) <= MAX_NAME_LENGTH and JAVASCRIPT_NAME.fullmatch(value) is not None

"""Warm start: a server's master builds the search index and warms it before forking workers."""

from __future__ import annotations

import gc
import logging

from flask import Flask, request

from oct8ne_adapter.errors import Oct8neError
from oct8ne_adapter.web.handlers import search
from oct8ne_adapter.web.responses import encode_json
from oct8ne_adapter.web.state import adapter_state, has_state

logger = logging.getLogger(__name__)

#: Searches run once in the master: relevance (with and without text), price and name order in
#: the default locale and currency, so the columns they derive, the locale data and the compiled
#: statements are there before the fork (shared) instead of made by each worker's first
#: searches (one copy each).
WARM_UP_SEARCHES = (
    "?search=a",
    "?search=a&orderby=price&dir=asc",
    "?orderby=price&dir=desc",
    "?orderby=name&dir=asc",
    "?search=a&page=100",
    "?page=2",
)


def _warm_up(app: Flask) -> None:
    """Run the warm-up searches in this process, as a request would (no HTTP, no metrics)."""
    state = adapter_state(app)
    for query in WARM_UP_SEARCHES:
        with app.test_request_context(query):
            encode_json(search(state, request))


def prepare_to_fork(app: Flask) -> bool:
    """Build and warm the search index in this process (a server's master) for its forks.

    Each fork starts with the whole index and shares its pages with the others until one
    writes them: one copy in memory instead of one per worker, and a first search answered at
    once. Timed prices are switched first (each fork's first request would otherwise run the
    switch's queries, and a switch after the build would put the index behind the change log
    at once). The database pool is emptied (a connection must not be shared across processes) and
    the objects made so far are moved out of the garbage collector's reach (`gc.freeze`),
    whose passes would otherwise write to every one of them in each worker.
    True when the index was built; False without an index or with `search_index_prefork` off.
    """
    if not has_state(app):
        return False
    state = adapter_state(app)
    index = state.search_index
    built = False
    if state.price_switch is not None:
        state.price_switch.poll()
    if index is not None and state.settings.search.index_prefork:
        try:
            with index.unannounced():
                built = index.build_now()
                if built:
                    _warm_up(app)
        except Oct8neError as error:  # each worker builds its own once it answers
            logger.warning("search index not built before the workers start: %s", error)
    if state.database is not None:
        state.database.engine.dispose()
    gc.collect()
    gc.freeze()
    return built


def warm_worker(app: Flask) -> bool:
    """In a fresh fork, before it accepts connections: answer the warm-up searches once.

    What a fork's first search costs beyond a warm one cannot be paid in the master: a
    database connection of its own, and the copy-on-write faults of every page of the master's
    heap that the request path writes (reference counts, the allocator's free lists), 10-20 MiB
    at the first request. Paid here, no visitor waits for it. Nothing is run unless the
    inherited index is current (a worker that must build or catch up first says `starting`).
    True when the searches ran.
    """
    if not has_state(app):
        return False
    index = adapter_state(app).search_index
    if index is None or not index.in_use():
        return False
    try:
        _warm_up(app)
    except Exception:  # a worker that fails here must still serve (and report it per search)
        logger.exception("search warm-up in a new worker failed")
        return False
    return True

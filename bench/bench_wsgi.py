"""The adapter app as gunicorn serves it in the benchmark, plus a bare JSON route (the ceiling).

    gunicorn bench_wsgi:app   (with bench/ on PYTHONPATH; search_bench.py starts it)

`BENCH_SEARCH_ENGINE` chooses the search engine (`OCT8NE_SEARCH_ENGINE`: "index" or "sql").
`/bench/bare` answers a small JSON object from a plain Flask view in the same app and the same
workers as the adapter: what this server can do at best per request.
"""

from __future__ import annotations

import os
import time

from common import BARE_ANSWER, index_engine, wait_for_index

from oct8ne_adapter import create_app

app = create_app(
    {
        "OCT8NE_SEARCH_ENGINE": os.environ.get("BENCH_SEARCH_ENGINE", "index"),
        "OCT8NE_RATELIMIT_ENABLED": False,
    }
)


@app.get("/bench/bare")
def bare() -> dict[str, object]:
    """About the size of getAdapterInfo's answer, serialized by Flask's own JSON provider."""
    return dict(BARE_ANSWER)


@app.get("/bench/ready")
def ready() -> dict[str, object]:
    """Start this worker's index build if needed and wait for it (bounded): is it in use?"""
    engine = index_engine(app)
    if engine is None:
        return {"pid": os.getpid(), "built": True, "engine": "sql"}
    started = time.perf_counter()
    built = wait_for_index(engine, float(os.environ.get("BENCH_BUILD_TIMEOUT", "1200")))
    return {
        "pid": os.getpid(),
        "built": built,
        "engine": "index",
        "waited_seconds": round(time.perf_counter() - started, 2),
    }

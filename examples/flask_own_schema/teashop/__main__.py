"""`python -m teashop PORT DATA_DIR`: seed the shop afresh and serve it on 127.0.0.1:PORT.

The shop's tables go to DATA_DIR/teashop.db, the adapter's own tables (created through its
migrations, as `oct8ne-adapter init-db` does) to DATA_DIR/adapter.db; the API token comes
from OCT8NE_API_TOKEN.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from werkzeug.serving import run_simple

from oct8ne_adapter.cli.servers import PathOnlyRequestHandler
from oct8ne_adapter.sql.database import create_database_engine
from oct8ne_adapter.sql.schema import upgrade
from teashop import create_shop, shop_engine
from teashop.seed import seed

USAGE = "usage: python -m teashop PORT DATA_DIR (with OCT8NE_API_TOKEN set)"


def main(arguments: list[str]) -> int:
    """Seed, migrate the adapter's tables, serve until stopped."""
    token = os.environ.get("OCT8NE_API_TOKEN", "")
    if len(arguments) != 2 or not arguments[0].isdigit() or not token:
        print(USAGE, file=sys.stderr)
        return 2
    port, data = int(arguments[0]), Path(arguments[1])
    data.mkdir(parents=True, exist_ok=True)
    engine = shop_engine(f"sqlite:///{data / 'teashop.db'}")
    seed(engine)
    adapter_url = f"sqlite:///{data / 'adapter.db'}"
    adapter_engine = create_database_engine(adapter_url)
    upgrade(adapter_engine)
    adapter_engine.dispose()
    shop_url = f"http://127.0.0.1:{port}"
    app = create_shop(engine, adapter_url, shop_url=shop_url, api_token=token)
    print(f"tea shop on {shop_url} (adapter: {shop_url}/oct8ne/frame)", flush=True)
    # Query strings carry the API token and customers' e-mails: log paths only.
    run_simple("127.0.0.1", port, app, threaded=True, request_handler=PathOnlyRequestHandler)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

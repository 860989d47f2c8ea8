#!/usr/bin/env bash
# Start the example FastAPI shop with the oct8ne adapter on 127.0.0.1:PORT, with fresh data.
# Usage: OCT8NE_API_TOKEN=... ./run.sh PORT     (interpreter: $OCT8NE_EXAMPLE_PYTHON, default python3)
set -euo pipefail
PORT="${1:?usage: run.sh PORT}"
PYTHON="${OCT8NE_EXAMPLE_PYTHON:-python3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

export SHOP_INSTANCE_DIR="${SHOP_INSTANCE_DIR:-$HERE/instance}"
export SHOP_URL="${SHOP_URL:-http://127.0.0.1:$PORT}"
# A new secret each start signs out every visitor, which suits fresh example data.
export SHOP_SECRET_KEY="${SHOP_SECRET_KEY:-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')}"
if [[ -z "${OCT8NE_API_TOKEN:-}" ]]; then
    echo "warning: OCT8NE_API_TOKEN is not set: getOrders and getOrderDetails answer []" >&2
fi
mkdir -p "$SHOP_INSTANCE_DIR"
if [[ -z "${OCT8NE_DATABASE_URL:-}" ]]; then
    # Fresh data in the adapter's own file too: no recorded cart of a previous run.
    rm -f "$SHOP_INSTANCE_DIR"/oct8ne.db "$SHOP_INSTANCE_DIR"/oct8ne.db-wal "$SHOP_INSTANCE_DIR"/oct8ne.db-shm
fi

"$PYTHON" -m fastapi_shop.seeding
exec "$PYTHON" -m uvicorn fastapi_shop.app:app --host 127.0.0.1 --port "$PORT" --no-access-log

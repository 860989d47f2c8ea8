#!/usr/bin/env bash
# Start the tea shop on 127.0.0.1:PORT with freshly seeded data: ./run.sh PORT
# The API token comes from OCT8NE_API_TOKEN; the interpreter from OCT8NE_EXAMPLE_PYTHON, else
# the repository's .venv (the one CI makes), else python3 on PATH. The data lives in
# TEASHOP_DATA_DIR, else in a new temporary directory.
set -euo pipefail
port="${1:-}"
if [[ ! "$port" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 PORT   (with OCT8NE_API_TOKEN set)" >&2
    exit 2
fi
if [[ -z "${OCT8NE_API_TOKEN:-}" ]]; then
    echo "Error: set OCT8NE_API_TOKEN to the adapter's API token" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${OCT8NE_EXAMPLE_PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi
data="${TEASHOP_DATA_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/teashop.XXXXXX")}"
cd "$here"
exec "$python" -m teashop "$port" "$data"

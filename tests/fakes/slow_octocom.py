"""A slow Octocom purchases endpoint that holds one request: the vendor side of kill -9 tests.

It stores every request on receipt (or once per Idempotency-Key when `idempotent`), answers 201
after a short delay, and holds request number `hold_at` until `release` is set, so a test can
kill the worker that sent it while it waits for the answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER_DELAY = 0.05
PATH = re.compile(r"/rest/v1/browser-sessions/([0-9a-f-]{36})/purchases")


class SlowOctocom:
    """Octocom's purchases endpoint: 201 after a delay; holds request `hold_at` until released."""

    def __init__(self, *, idempotent: bool, hold_at: int, host: str = "127.0.0.1") -> None:
        self.idempotent = idempotent
        self.hold_at = hold_at
        #: (order id, Idempotency-Key) of each request in arrival order; `senders`: their address.
        self.requests: list[tuple[str, str]] = []
        self.senders: list[str] = []
        self.stored: list[str] = []
        self.in_flight = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                assert PATH.fullmatch(self.path), self.path
                order_id = body["lineItems"][0]["id"]
                key = self.headers["Idempotency-Key"]
                with vendor.lock:
                    vendor.requests.append((order_id, key))
                    vendor.senders.append(self.client_address[0])
                    number = len(vendor.requests)
                    seen = {k for _, k in vendor.requests[:-1]}
                    # Stored on receipt, as a vendor without idempotency does.
                    if not (vendor.idempotent and key in seen):
                        vendor.stored.append(order_id)
                if number == vendor.hold_at:
                    vendor.in_flight.set()
                    vendor.release.wait(10)
                time.sleep(ANSWER_DELAY)
                answer = json.dumps({"success": True, "message": "ok", "id": str(uuid.uuid4())})
                try:
                    self.send_response(201)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer.encode())
                except OSError:
                    pass  # the worker is gone

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

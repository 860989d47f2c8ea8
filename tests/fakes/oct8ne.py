"""The fake oct8ne backoffice: its real-time update call (API 2.4)."""

from __future__ import annotations

from fakes.vendor_server import FakeVendor, Received, Reply


class FakeOct8ne(FakeVendor):
    """The oct8ne backoffice's update call (API 2.4, "Real-time update of the oct8ne widget")."""

    name = "oct8ne"
    documented_errors = {"server_error": Reply(500, {"Message": "An error has occurred."})}

    def __init__(self) -> None:
        super().__init__()
        #: (visitor, what) of each update accepted, in order.
        self.updates: list[tuple[str, str]] = []

    def handle(self, request: Received, *, store: bool) -> Reply:
        if request.method != "POST" or request.path != "/platformConnection/update":
            request.problems.append("not POST /platformConnection/update")
            return Reply(404, {"Message": "No HTTP resource was found"})
        visitor = request.query.get("visitor", [""])
        what = request.query.get("what", [""])
        # "Identifier of the user's oct8ne session, available in the oct8ne-visitor cookie."
        if len(visitor) != 1 or not visitor[0]:
            request.problems.append("visitor is missing")
        # "What you wish to update: cart, wishlist or user."
        if len(what) != 1 or what[0] not in ("cart", "wishlist", "user"):
            request.problems.append(f"what is {what!r}, not cart, wishlist or user")
        if request.problems:
            return Reply(400, {"Message": "The request is invalid."})
        if store:
            self.updates.append((visitor[0], what[0]))
        # "This method does not return any value."
        return Reply(200)

"""A small FastAPI shop with the oct8ne adapter mounted through a WSGI-to-ASGI bridge."""

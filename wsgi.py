"""WSGI entry point for `gunicorn wsgi:app`; configure with OCT8NE_CONFIG and OCT8NE_* variables."""

from oct8ne_adapter import create_app

app = create_app()

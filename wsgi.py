"""WSGI entry point for `gunicorn wsgi:app`; configure with OCT8NE_CONFIG and OCT8NE_* variables.

`demo = true` in the configuration adds the demo pages, as `oct8ne-adapter serve` does.
"""

from oct8ne_adapter.cli.demo import configured_app

app = configured_app()

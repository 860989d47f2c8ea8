"""`oct8ne-adapter secret`: print a random secret good for a bearer secret such as events_secret."""

from __future__ import annotations

import secrets

import click

#: 32 random bytes, URL-safe base64: 43 characters, 256 bits.
SECRET_BYTES = 32


@click.command("secret")
def secret_command() -> None:
    """Print a new random secret (256 bits) for events_secret and the like."""
    click.echo(secrets.token_urlsafe(SECRET_BYTES))

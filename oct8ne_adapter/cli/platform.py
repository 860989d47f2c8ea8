"""`linkup`, `unlink` and `status`: the shop's link to its oct8ne account."""

from __future__ import annotations

import click

from oct8ne_adapter.cli.context import migrated_session, settings_of
from oct8ne_adapter.platform.client import LinkupRequest, PlatformClient
from oct8ne_adapter.platform.credentials import effective_credentials
from oct8ne_adapter.settings import REGION_HOSTS
from oct8ne_adapter.sql.platform_link import clear_link, load_link, save_link


def _masked(secret: str) -> str:
    """A secret as `status` shows it: only its last four characters."""
    if len(secret) < 12:
        return "*" * len(secret)
    return "*" * (len(secret) - 4) + secret[-4:]


@click.command()
@click.option("--email", required=True, help="The e-mail of your oct8ne account.")
@click.option(
    "--url", "shop_url", required=True, help="The shop's base URL, e.g. https://shop.example."
)
@click.option(
    "--platform",
    "platform_name",
    default=None,
    help="The shop platform's name [default: the `platform` setting, which the widget sends]",
)
@click.option(
    "--region", type=click.Choice(sorted(REGION_HOSTS)), help="Default: the configured region."
)
@click.pass_context
def linkup(
    ctx: click.Context, email: str, shop_url: str, platform_name: str | None, region: str | None
) -> None:
    """Link the shop to your oct8ne account and store the token, license and hosts it returns.

    The password is asked for (or read from standard input); it is sent once over verified TLS
    and never stored, logged or passed as an argument.
    """
    settings = settings_of(ctx)
    if "@" not in email or len(email) > 320 or not email.isprintable():
        raise click.BadParameter("not an e-mail address", param_hint="--email")
    if not shop_url.startswith(("http://", "https://")) or not shop_url.isprintable():
        raise click.BadParameter("must start with http:// or https://", param_hint="--url")
    region = region or settings.link.region
    platform_name = platform_name or settings.platform
    password = click.prompt("oct8ne password", hide_input=True, err=True)
    request = LinkupRequest(
        email=email,
        password=password,
        platform=platform_name,
        shop_url=shop_url,
        enabled=settings.enabled,
    )
    client = PlatformClient(
        settings.link.oct8ne_server or REGION_HOSTS[region][0],
        timeout=settings.link.timeout,
        verify=settings.link.ca_bundle or True,
    )
    try:
        credentials = client.linkup(request, region)
    finally:
        client.close()
    with migrated_session(settings, write=True) as session:
        save_link(session, credentials, email=email, platform=platform_name, shop_url=shop_url)
    click.echo(
        f"linked to oct8ne: license {credentials.license_id}, server {credentials.server}, "
        f"static {credentials.static_server}, token {_masked(credentials.api_token)}"
    )


@click.command()
@click.pass_context
def unlink(ctx: click.Context) -> None:
    """Forget the stored link-up credentials."""
    with migrated_session(settings_of(ctx), write=True) as session:
        existed = clear_link(session)
    click.echo("unlinked from oct8ne" if existed else "the shop was not linked")


@click.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the oct8ne account and the secrets in force (masked), and where each comes from."""
    settings = settings_of(ctx)
    with migrated_session(settings) as session:
        link = load_link(session)
    stored = link.credentials if link else None
    current = effective_credentials(settings.link, stored)
    if link:
        click.echo(
            f"linked by {link.email} on {link.linked_at:%Y-%m-%d %H:%M} UTC for {link.shop_url}"
        )
    else:
        click.echo("not linked (run oct8ne-adapter linkup)")
    rows = [
        ("license", current.license_id, settings.link.license),
        ("api token", _in_force(current.api_tokens), settings.link.api_token),
        ("server", current.server, settings.link.oct8ne_server),
        ("static server", current.static_server, settings.link.oct8ne_static_server),
    ]
    for label, value, configured in rows:
        origin = "configuration" if configured else ("link-up" if stored else "default")
        click.echo(f"{label:>14}: {value or '(none)'}  [{origin}]")
    for label, secrets in (
        ("events secret", settings.events.secrets),
        ("catalog secret", settings.catalog.secrets),
    ):
        click.echo(f"{label:>14}: {_in_force(secrets) or '(none: the endpoint is off)'}")


def _in_force(secrets: tuple[str, ...]) -> str:
    """`1 in force: ****abcd`, the current one first; "" for none."""
    if not secrets:
        return ""
    return f"{len(secrets)} in force: " + ", ".join(_masked(secret) for secret in secrets)

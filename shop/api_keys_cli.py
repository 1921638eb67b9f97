"""`flask --app wsgi create-api-key --store SLUG [--name NAME]` (prints the key once) and
`flask --app wsgi revoke-api-key PREFIX`: the bot tools API's keys (shop.services.api_keys)."""

from __future__ import annotations

import click
from flask import Flask

from .extensions import db
from .unit_of_work import commit


def register_api_key_cli(app: Flask) -> None:
    """Attach the API key commands to `flask`."""

    @app.cli.command("create-api-key")
    @click.option("--store", "slug", required=True, help="Slug of the store.")
    @click.option("--name", default="Chatbot", show_default=True, help="What the key is for.")
    def create_api_key_command(slug: str, name: str) -> None:
        """Make a bot tools API key for the store and print it (it is shown only now)."""
        from sqlalchemy import select

        from .errors import ShopError
        from .models import Store
        from .services.api_keys import create_api_key

        store = db.session.scalar(select(Store).where(Store.slug == slug))
        if store is None:
            raise click.ClickException(f"No store {slug!r}.")
        try:
            row, key = create_api_key(store, name=name, actor="cli")
        except ShopError as error:
            raise click.ClickException(error.message) from None
        commit()
        click.echo(f"API key {row.prefix}... ({row.name}) for {store.slug}; shown only once:")
        click.echo(key)

    @app.cli.command("revoke-api-key")
    @click.argument("prefix")
    def revoke_api_key_command(prefix: str) -> None:
        """Revoke the key starting with PREFIX (the first 12 characters, as listed)."""
        from .errors import NotFound
        from .services.api_keys import find_by_prefix, revoke_api_key

        try:
            row = find_by_prefix(prefix)
        except NotFound:
            raise click.ClickException(f"No single key starts with {prefix!r}.") from None
        done = revoke_api_key(row, actor="cli")
        commit()
        click.echo(f"Revoked {row.prefix}..." if done else f"{row.prefix}... was already revoked.")

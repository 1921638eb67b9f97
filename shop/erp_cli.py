"""`flask --app wsgi sync-parts --store SLUG` and `flask --app wsgi sync-stock`: the legacy
ERP's parts and stock into the catalog (shop.services.erp)."""

from __future__ import annotations

import click
from flask import Flask

from .extensions import db
from .unit_of_work import commit


def register_erp_cli(app: Flask) -> None:
    """Attach the legacy ERP's commands to `flask`."""

    @app.cli.command("sync-parts")
    @click.option("--store", "slug", required=True, help="Slug of the distributor store.")
    @click.option("--batch-size", default=1000, show_default=True,
                  help="Parts read and committed at a time.")
    def sync_parts_command(slug: str, batch_size: int) -> None:
        """Create or update the store's products from the ERP's parts (tblpart_id), by part
        id; commits after each batch, so a run stopped midway keeps what it did."""
        from sqlalchemy import func, select

        from .models import LegacyPart, Store
        from .services.erp import sync_parts

        store = db.session.scalar(select(Store).where(Store.slug == slug))
        if store is None:
            raise click.ClickException(f"No store {slug!r}.")
        total = db.session.scalar(select(func.count()).select_from(LegacyPart))
        with click.progressbar(length=total, label="Parts", show_pos=True) as bar:
            def batch_done(parts: int) -> None:
                commit()
                bar.update(parts)

            summary = sync_parts(store, progress=batch_done, batch_size=batch_size)
        commit()
        click.echo(f"Created {summary.created}, updated {summary.updated}, unchanged "
                   f"{summary.unchanged}, deactivated {summary.deactivated}.")
        if summary.skipped:
            click.echo(f"Skipped {len(summary.skipped)} (their code belongs to another "
                       f"product): {', '.join(summary.skipped[:20])}"
                       + (" ..." if len(summary.skipped) > 20 else ""))

    @app.cli.command("sync-stock")
    def sync_stock_command() -> None:
        """Copy this month's stock from the ERP (tblstock_part_id) into the products now
        (what the hourly job does)."""
        from .services.erp import sync_legacy_stock

        result = sync_legacy_stock()
        commit()
        click.echo(f"Stock of {result['updated']} products synced; "
                   f"{result['without_stock']} without stock this month kept as they were.")

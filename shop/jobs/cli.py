"""`flask --app wsgi worker [QUEUES...] [--burst]` and `flask --app wsgi outbox-sweep`."""

from __future__ import annotations

import click
from flask import Flask, current_app

from . import QUEUES, redis_connection


def register_job_cli(app: Flask) -> None:
    @app.cli.command("worker")
    @click.argument("queues", nargs=-1)
    @click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
    @click.option("--name", default=None, help="The worker's name (default: RQ's own).")
    def worker_command(queues: tuple[str, ...], burst: bool, name: str | None) -> None:
        """Run an RQ worker on QUEUES (default: high default legacy, in that order of
        priority), with the application's context."""
        from .worker import Worker

        unknown = [q for q in queues if q not in QUEUES]
        if unknown:
            raise click.BadParameter(f"unknown queue(s) {', '.join(unknown)}; the queues are "
                                     + ", ".join(QUEUES), param_hint="QUEUES")
        connection = redis_connection(current_app)
        if connection is None:
            raise click.UsageError("REDIS_URL is not set: without Redis, jobs run in the web "
                                   "process right after each commit; no worker is needed.")
        worker = Worker(list(queues or QUEUES), connection=connection, name=name)
        worker.work(burst=burst, with_scheduler=True)

    @app.cli.command("outbox-sweep")
    def outbox_sweep_command() -> None:
        """Hand out again messages left queued or stuck in sending (what `rq cron
        shop.jobs.cron` does every minute; without Redis, run this from the system's cron)."""
        from .tasks import sweep_outbox

        result = sweep_outbox()
        click.echo(f"{result['queued']} queued and {result['stuck']} stuck messages handed out")
